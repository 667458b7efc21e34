// How etcdctl 3.4 prints lease responses in each -w format. clientv3 hands etcdctl its
// own response structs, which shapes the output:
// - json: clientv3's structs embed *pb.ResponseHeader, so Go's encoding/json flattens the
//   header's fields (omitempty) into the object; revoke's is pb's own struct ("header").
// - protobuf: the embedded header lends its Marshal method to the struct, so grant,
//   time-to-live, keep-alive and list print the header's bytes only; revoke's struct is
//   passed by value, has no Marshal, and etcdctl refuses it.
// - table: no lease rendering at all.

import {
  ResponseHeader,
  type LeaseGrantResponse,
  type LeaseKeepAliveResponse,
  type LeaseLeasesResponse,
  type LeaseRevokeResponse,
  type LeaseTimeToLiveResponse,
} from '../../gen/etcdserverpb/rpc.js';
import { CtlError, ExitCode } from './errors.js';
import { goQuote } from '../../pkg/go-quote.js';
import { notSupported, type OutputFormat, type PrinterIO } from './printer.js';

export type LeaseView =
  | { kind: 'grant'; r: LeaseGrantResponse }
  | { kind: 'revoke'; id: bigint; r: LeaseRevokeResponse }
  | { kind: 'timetolive'; r: LeaseTimeToLiveResponse; keys: boolean }
  | { kind: 'keepalive'; r: LeaseKeepAliveResponse }
  | { kind: 'list'; r: LeaseLeasesResponse };

/** Go's %016x of an int64. */
export function leaseHex(id: bigint): string {
  return id < 0n ? `-${(-id).toString(16).padStart(15, '0')}` : id.toString(16).padStart(16, '0');
}

function simple(v: LeaseView): string[] {
  switch (v.kind) {
    case 'grant':
      return [`lease ${leaseHex(v.r.ID)} granted with TTL(${v.r.TTL}s)`];
    case 'revoke':
      return [`lease ${leaseHex(v.id)} revoked`];
    case 'timetolive': {
      if (v.r.grantedTTL === 0n && v.r.TTL === -1n) return [`lease ${leaseHex(v.r.ID)} already expired`];
      let txt = `lease ${leaseHex(v.r.ID)} granted with TTL(${v.r.grantedTTL}s), remaining(${v.r.TTL}s)`;
      // Go's %v of a []string: [a b].
      if (v.keys) txt += `, attached keys([${v.r.keys.map((k) => Buffer.from(k).toString('latin1')).join(' ')}])`;
      return [txt];
    }
    case 'keepalive':
      return [`lease ${leaseHex(v.r.ID)} keepalived with TTL(${v.r.TTL})`];
    case 'list':
      return [`found ${v.r.leases.length} leases`, ...v.r.leases.map((l) => leaseHex(l.ID))];
  }
}

/** The embedded header's fields as Go's encoding/json writes them (omitempty). */
function headerJsonFields(h: ResponseHeader | undefined): string[] {
  if (!h) return [];
  const out: string[] = [];
  if (h.clusterId !== 0n) out.push(`"cluster_id":${h.clusterId}`);
  if (h.memberId !== 0n) out.push(`"member_id":${h.memberId}`);
  if (h.revision !== 0n) out.push(`"revision":${h.revision}`);
  if (h.raftTerm !== 0n) out.push(`"raft_term":${h.raftTerm}`);
  return out;
}

function json(v: LeaseView): string {
  const obj = (fields: string[]) => `{${fields.join(',')}}`;
  switch (v.kind) {
    case 'grant':
      return obj([...headerJsonFields(v.r.header), `"ID":${v.r.ID}`, `"TTL":${v.r.TTL}`, `"Error":${JSON.stringify(v.r.error)}`]);
    case 'revoke':
      return obj(v.r.header ? [`"header":${obj(headerJsonFields(v.r.header))}`] : []);
    case 'timetolive': {
      const keys = v.r.keys.length === 0 ? 'null' : `[${v.r.keys.map((k) => JSON.stringify(Buffer.from(k).toString('base64'))).join(',')}]`;
      return obj([...headerJsonFields(v.r.header), `"id":${v.r.ID}`, `"ttl":${v.r.TTL}`, `"granted-ttl":${v.r.grantedTTL}`, `"keys":${keys}`]);
    }
    case 'keepalive':
      return obj([...headerJsonFields(v.r.header), `"ID":${v.r.ID}`, `"TTL":${v.r.TTL}`]);
    case 'list':
      return obj([...headerJsonFields(v.r.header), `"leases":[${v.r.leases.map((l) => `{"id":${l.ID}}`).join(',')}]`]);
  }
}

function fieldsHeader(h: ResponseHeader | undefined): string[] {
  return [`"ClusterID" : ${h?.clusterId ?? 0n}`, `"MemberID" : ${h?.memberId ?? 0n}`, `"Revision" : ${h?.revision ?? 0n}`, `"RaftTerm" : ${h?.raftTerm ?? 0n}`];
}

function fields(v: LeaseView): string[] {
  const h = fieldsHeader(v.r.header);
  switch (v.kind) {
    case 'grant':
      return [...h, `"ID" : ${v.r.ID}`, `"TTL" : ${v.r.TTL}`];
    case 'revoke':
      return h;
    case 'timetolive':
      return [...h, `"ID" : ${v.r.ID}`, `"TTL" : ${v.r.TTL}`, `"GrantedTTL" : ${v.r.grantedTTL}`, ...v.r.keys.map((k) => `"Key" : ${goQuote(k)}`)];
    case 'keepalive':
      return [...h, `"ID" : ${v.r.ID}`, `"TTL" : ${v.r.TTL}`];
    case 'list':
      return [...h, ...v.r.leases.map((l) => `"ID" : ${l.ID}`)];
  }
}

/** gogoproto's compact text of a header, as Go's %v prints it: set fields, each followed by a space. */
function headerText(h: ResponseHeader | undefined): string {
  if (!h) return '<nil>';
  const parts: string[] = [];
  if (h.clusterId !== 0n) parts.push(`cluster_id:${h.clusterId} `);
  if (h.memberId !== 0n) parts.push(`member_id:${h.memberId} `);
  if (h.revision !== 0n) parts.push(`revision:${h.revision} `);
  if (h.raftTerm !== 0n) parts.push(`raft_term:${h.raftTerm} `);
  return parts.join('');
}

export function printLease(format: OutputFormat, io: PrinterIO, v: LeaseView): void {
  switch (format) {
    case 'simple':
      for (const l of simple(v)) io.out.line(l);
      return;
    case 'json':
      io.out.line(json(v));
      return;
    case 'fields':
      for (const l of fields(v)) io.out.line(l);
      return;
    case 'protobuf':
      if (v.kind === 'revoke') {
        throw new CtlError(`marshal unsupported for type clientv3.LeaseRevokeResponse ({${headerText(v.r.header)}})`, ExitCode.BadFeature);
      }
      io.out.raw(v.r.header ? ResponseHeader.encode(v.r.header).finish() : new Uint8Array());
      return;
    default:
      throw notSupported(format);
  }
}
