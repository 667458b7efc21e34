// -w simple: etcdctl's default format. Keys and values raw (or \xNN with --hex), one
// per line; put prints OK, del the count, txn SUCCESS/FAILURE then each response after a
// blank line; health lines go to stderr, as etcdctl 3.4 writes them there.

import type { KeyValue } from '../../gen/mvccpb/kv.js';
import { alarmTypeToJSON, type AlarmResponse, type DeleteRangeResponse, type MemberAddResponse, type MemberPromoteResponse, type MemberRemoveResponse, type MemberUpdateResponse, MemberListResponse, PutResponse, RangeResponse, TxnResponse } from '../../gen/etcdserverpb/rpc.js';
import { goDuration, hex16, hexBytes, humanizeBytes } from './go-format.js';
import type { EndpointHash, EndpointHealth, EndpointStatus, GetOptions, Printer, PrinterIO } from './printer.js';

export function memberRow(m: MemberListResponse['members'][number]): string[] {
  return [m.ID.toString(16), m.name === '' ? 'unstarted' : 'started', m.name, m.peerURLs.join(','), m.clientURLs.join(','), String(m.isLearner)];
}

export function statusRow({ endpoint, status: s }: EndpointStatus): string[] {
  return [
    endpoint,
    (s.header?.memberId ?? 0n).toString(16),
    s.version,
    humanizeBytes(Number(s.dbSize)),
    String(s.leader === s.header?.memberId),
    String(s.isLearner),
    String(s.raftTerm),
    String(s.raftIndex),
    String(s.raftAppliedIndex),
    s.errors.join(', '),
  ];
}

export class SimplePrinter implements Printer {
  constructor(private readonly io: PrinterIO) {}

  private bytes(b: Uint8Array): string | Uint8Array {
    return this.io.hex ? hexBytes(b) : b;
  }

  private kv(kv: KeyValue, valueOnly = false): void {
    if (!valueOnly) this.io.out.line(this.bytes(kv.key));
    this.io.out.line(this.bytes(kv.value));
  }

  put(r: PutResponse): void {
    this.io.out.line('OK');
    if (r.prevKv) this.kv(r.prevKv);
  }

  get(r: RangeResponse, o: GetOptions = {}): void {
    for (const kv of r.kvs) this.kv(kv, o.valueOnly);
  }

  del(r: DeleteRangeResponse): void {
    this.io.out.line(String(r.deleted));
    for (const kv of r.prevKvs) this.kv(kv);
  }

  txn(r: TxnResponse): void {
    this.io.out.line(r.succeeded ? 'SUCCESS' : 'FAILURE');
    for (const op of r.responses) {
      this.io.out.line();
      if (op.responseDeleteRange) this.del(op.responseDeleteRange);
      else if (op.responsePut) this.put(op.responsePut);
      else if (op.responseRange) this.get(op.responseRange);
    }
  }

  memberList(r: MemberListResponse): void {
    for (const m of r.members) this.io.out.line(memberRow(m).join(', '));
  }

  memberAdd(r: MemberAddResponse): void {
    // etcdctl 3.4 says "added to cluster" for learners too.
    this.io.out.line(`Member ${hex16(r.member?.ID ?? 0n)} added to cluster ${hex16(r.header?.clusterId ?? 0n)}`);
  }

  memberRemove(id: bigint, r: MemberRemoveResponse): void {
    this.io.out.line(`Member ${hex16(id)} removed from cluster ${hex16(r.header?.clusterId ?? 0n)}`);
  }

  memberUpdate(id: bigint, r: MemberUpdateResponse): void {
    this.io.out.line(`Member ${hex16(id)} updated in cluster ${hex16(r.header?.clusterId ?? 0n)}`);
  }

  moveLeader(leader: bigint, target: bigint): void {
    this.io.out.line(`Leadership transferred from ${leader.toString(16)} to ${target.toString(16)}`);
  }

  memberPromote(id: bigint, r: MemberPromoteResponse): void {
    this.io.out.line(`Member ${hex16(id)} promoted in cluster ${hex16(r.header?.clusterId ?? 0n)}`);
  }

  endpointHealth(hs: EndpointHealth[]): void {
    for (const h of hs) {
      if (h.error === undefined) this.io.err.line(`${h.endpoint} is healthy: successfully committed proposal: took = ${goDuration(h.tookNs)}`);
      else this.io.err.line(`${h.endpoint} is unhealthy: failed to commit proposal: ${h.error}`);
    }
  }

  endpointStatus(ss: EndpointStatus[]): void {
    for (const s of ss) this.io.out.line(statusRow(s).join(', '));
  }

  endpointHashKV(hs: EndpointHash[]): void {
    for (const h of hs) this.io.out.line(`${h.endpoint}, ${h.hashKV.hash}`);
  }

  alarm(r: AlarmResponse): void {
    for (const a of r.alarms) this.io.out.line(`memberID:${a.memberID} alarm:${alarmTypeToJSON(a.alarm)} `);
  }
}
