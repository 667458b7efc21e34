// -w fields: one `"Name" : value` line per struct field, as etcdctl's fields printer
// writes them (byte strings with Go's %q, --hex ignored). Responses nested in a txn
// print their own header, whose cluster/member ids and term the server leaves zero.

import type { KeyValue } from '../../gen/mvccpb/kv.js';
import { alarmTypeToJSON, type AlarmResponse, type DeleteRangeResponse, type MemberAddResponse, type MemberPromoteResponse, type MemberRemoveResponse, type MemberUpdateResponse, MemberListResponse, PutResponse, RangeResponse, ResponseHeader, TxnResponse } from '../../gen/etcdserverpb/rpc.js';
import { GoPanic } from './errors.js';
import { goDuration } from './go-format.js';
import { goQuote, goQuoteText } from '../../pkg/go-quote.js';
import type { EndpointHash, EndpointHealth, EndpointStatus, Printer, PrinterIO } from './printer.js';

export class FieldsPrinter implements Printer {
  constructor(private readonly io: PrinterIO) {}

  private l(s: string): void {
    this.io.out.line(s);
  }

  private header(h: ResponseHeader | undefined): void {
    this.l(`"ClusterID" : ${h?.clusterId ?? 0n}`);
    this.l(`"MemberID" : ${h?.memberId ?? 0n}`);
    this.l(`"Revision" : ${h?.revision ?? 0n}`);
    this.l(`"RaftTerm" : ${h?.raftTerm ?? 0n}`);
  }

  private kv(prefix: string, kv: KeyValue): void {
    this.l(`"${prefix}Key" : ${goQuote(kv.key)}`);
    this.l(`"${prefix}CreateRevision" : ${kv.createRevision}`);
    this.l(`"${prefix}ModRevision" : ${kv.modRevision}`);
    this.l(`"${prefix}Version" : ${kv.version}`);
    this.l(`"${prefix}Value" : ${goQuote(kv.value)}`);
    this.l(`"${prefix}Lease" : ${kv.lease}`);
  }

  put(r: PutResponse): void {
    this.header(r.header);
    if (r.prevKv) this.kv('Prev', r.prevKv);
  }

  get(r: RangeResponse): void {
    this.header(r.header);
    for (const kv of r.kvs) this.kv('', kv);
    this.l(`"More" : ${r.more}`);
    this.l(`"Count" : ${r.count}`);
  }

  del(r: DeleteRangeResponse): void {
    this.header(r.header);
    this.l(`"Deleted" : ${r.deleted}`);
    for (const kv of r.prevKvs) this.kv('Prev', kv);
  }

  txn(r: TxnResponse): void {
    this.header(r.header);
    this.l(`"Succeeded" : ${r.succeeded}`);
    for (const op of r.responses) {
      if (op.responseDeleteRange) this.del(op.responseDeleteRange);
      else if (op.responsePut) this.put(op.responsePut);
      else if (op.responseRange) this.get(op.responseRange);
    }
  }

  memberList(r: MemberListResponse): void {
    this.header(r.header);
    for (const m of r.members) {
      this.l(`"ID" : ${m.ID}`);
      this.l(`"Name" : ${goQuoteText(m.name)}`);
      for (const u of m.peerURLs) this.l(`"PeerURL" : ${goQuoteText(u)}`);
      for (const u of m.clientURLs) this.l(`"ClientURL" : ${goQuoteText(u)}`);
      this.l(`"IsLearner" : ${m.isLearner}`);
      this.l('');
    }
  }

  // etcdctl prints membership changes as the member list they carry.
  memberAdd(r: MemberAddResponse): void {
    this.memberList({ header: r.header, members: r.members });
  }
  memberRemove(_id: bigint, r: MemberRemoveResponse): void {
    this.memberList({ header: r.header, members: r.members });
  }
  memberUpdate(_id: bigint, r: MemberUpdateResponse): void {
    this.memberList({ header: r.header, members: r.members });
  }
  memberPromote(_id: bigint, r: MemberPromoteResponse): void {
    this.memberList({ header: r.header, members: r.members });
  }

  endpointHealth(hs: EndpointHealth[]): void {
    for (const h of hs) {
      this.l(`"Endpoint" : ${goQuoteText(h.endpoint)}`);
      this.l(`"Health" : ${h.health}`);
      this.l(`"Took" : ${goDuration(h.tookNs)}`);
      this.l(`"Error" : ${h.error ?? ''}`);
      this.l('');
    }
  }

  endpointHashKV(hs: EndpointHash[]): void {
    for (const h of hs) {
      this.header(h.hashKV.header);
      this.l(`"Endpoint" : ${goQuoteText(h.endpoint)}`);
      this.l(`"Hash" : ${h.hashKV.hash}`);
      this.l('');
    }
  }

  /** etcdctl 3.4 dereferences the header, which alarm responses lack: a nil-pointer panic. */
  alarm(r: AlarmResponse): void {
    if (!r.header) throw new GoPanic('runtime error: invalid memory address or nil pointer dereference');
    this.header(r.header);
    for (const a of r.alarms) {
      this.l(`"MemberID" : ${a.memberID}`);
      this.l(`"AlarmType" : ${alarmTypeToJSON(a.alarm)}`);
    }
  }

  endpointStatus(ss: EndpointStatus[]): void {
    for (const { endpoint, status: s } of ss) {
      this.header(s.header);
      this.l(`"Version" : ${goQuoteText(s.version)}`);
      this.l(`"DBSize" : ${s.dbSize}`);
      this.l(`"Leader" : ${s.leader}`);
      this.l(`"IsLearner" : ${s.isLearner}`);
      this.l(`"RaftIndex" : ${s.raftIndex}`);
      this.l(`"RaftTerm" : ${s.raftTerm}`);
      this.l(`"RaftAppliedIndex" : ${s.raftAppliedIndex}`);
      this.l(`"Errors" : [${s.errors.join(' ')}]`);
      this.l(`"Endpoint" : ${goQuoteText(endpoint)}`);
      this.l('');
    }
  }
}
