// -w json: etcdctl prints Go's encoding/json applied to the gRPC response structs: proto
// field names, omitted zero values, 64-bit integers as bare JSON numbers (full uint64
// precision, which JSON.stringify cannot give), bytes as base64, enums as numbers.
//
// ts-proto's toJSON already yields the names, order and omissions; this walks it beside
// the original message to restore the number types Go would print.

import { AlarmResponse, DeleteRangeResponse, HashKVResponse, MemberAddResponse, MemberListResponse, MemberPromoteResponse, MemberRemoveResponse, MemberUpdateResponse, MoveLeaderResponse, PutResponse, RangeResponse, StatusResponse, TxnResponse } from '../../gen/etcdserverpb/rpc.js';
import { goDuration, goJsonString } from './go-format.js';
import type { EndpointHash, EndpointHealth, EndpointStatus, Printer, PrinterIO } from './printer.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function camel(key: string): string {
  return key.replace(/_([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Go's encoding/json sees a protobuf oneof as an interface field named after the oneof
 * holding a wrapper struct named after the member: {"Response":{"ResponseRange":{...}}}.
 */
const ONEOF_MEMBERS: Record<string, [string, string]> = {
  response_range: ['Response', 'ResponseRange'],
  response_put: ['Response', 'ResponsePut'],
  response_delete_range: ['Response', 'ResponseDeleteRange'],
  response_txn: ['Response', 'ResponseTxn'],
};

function encode(j: Json, orig: unknown): string {
  if (typeof orig === 'bigint') return orig.toString();
  if (typeof orig === 'number') return String(orig);
  if (Array.isArray(j)) {
    const arr = Array.isArray(orig) ? orig : [];
    return `[${j.map((x, i) => encode(x, arr[i])).join(',')}]`;
  }
  if (j !== null && typeof j === 'object') {
    const o = (orig !== null && typeof orig === 'object' ? orig : {}) as Record<string, unknown>;
    const parts = Object.entries(j).map(([k, v]) => {
      const value = encode(v, o[camel(k)] ?? o[k]);
      const oneof = ONEOF_MEMBERS[k];
      return oneof ? `"${oneof[0]}":{"${oneof[1]}":${value}}` : `${JSON.stringify(k)}:${value}`;
    });
    return `{${parts.join(',')}}`;
  }
  return typeof j === 'string' ? goJsonString(j) : JSON.stringify(j);
}

export interface MessageJson<T> {
  toJSON(message: T): unknown;
}

export function goJson<T>(type: MessageJson<T>, message: T): string {
  return encode(type.toJSON(message) as Json, message);
}

/** A plain object with bigint values, encoded like Go would (bigints as numbers). */
export function goJsonValue(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return `[${v.map(goJsonValue).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${JSON.stringify(k)}:${goJsonValue(x)}`)
      .join(',')}}`;
  }
  return typeof v === 'string' ? goJsonString(v) : JSON.stringify(v);
}

export class JsonPrinter implements Printer {
  constructor(private readonly io: PrinterIO) {}
  put(r: PutResponse): void {
    this.io.out.line(goJson(PutResponse, r));
  }
  get(r: RangeResponse): void {
    this.io.out.line(goJson(RangeResponse, r));
  }
  del(r: DeleteRangeResponse): void {
    this.io.out.line(goJson(DeleteRangeResponse, r));
  }
  txn(r: TxnResponse): void {
    this.io.out.line(goJson(TxnResponse, r));
  }
  memberList(r: MemberListResponse): void {
    this.io.out.line(goJson(MemberListResponse, r));
  }
  endpointHealth(hs: EndpointHealth[]): void {
    this.io.out.line(goJsonValue(hs.map((h) => ({ endpoint: h.endpoint, health: h.health, took: goDuration(h.tookNs), ...(h.error !== undefined ? { error: h.error } : {}) }))));
  }
  memberAdd(r: MemberAddResponse): void {
    this.io.out.line(goJson(MemberAddResponse, r));
  }
  memberRemove(_id: bigint, r: MemberRemoveResponse): void {
    this.io.out.line(goJson(MemberRemoveResponse, r));
  }
  memberUpdate(_id: bigint, r: MemberUpdateResponse): void {
    this.io.out.line(goJson(MemberUpdateResponse, r));
  }
  memberPromote(_id: bigint, r: MemberPromoteResponse): void {
    this.io.out.line(goJson(MemberPromoteResponse, r));
  }
  moveLeader(_leader: bigint, _target: bigint, r: MoveLeaderResponse): void {
    this.io.out.line(goJson(MoveLeaderResponse, r));
  }
  endpointHashKV(hs: EndpointHash[]): void {
    this.io.out.line(`[${hs.map((h) => `{"Endpoint":${JSON.stringify(h.endpoint)},"HashKV":${goJson(HashKVResponse, h.hashKV)}}`).join(',')}]`);
  }
  alarm(r: AlarmResponse): void {
    this.io.out.line(goJson(AlarmResponse, r));
  }
  endpointStatus(ss: EndpointStatus[]): void {
    this.io.out.line(`[${ss.map(({ endpoint, status }) => `{"Endpoint":${JSON.stringify(endpoint)},"Status":${goJson(StatusResponse, status)}}`).join(',')}]`);
  }
}
