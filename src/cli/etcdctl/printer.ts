// etcdctl's display: one printer per output format (-w simple|json|fields|table|protobuf),
// each producing the bytes etcdctl 3.4 produces. A format that has no rendering for a
// response fails the way etcdctl does, after the request was made: "<format> not
// supported as output format", exit code 4.

import type { AlarmResponse, DeleteRangeResponse, HashKVResponse, MemberAddResponse, MemberListResponse, MemberPromoteResponse, MemberRemoveResponse, MemberUpdateResponse, MoveLeaderResponse, PutResponse, RangeResponse, StatusResponse, TxnResponse } from '../../gen/etcdserverpb/rpc.js';
import { ExitCode, CtlError } from './errors.js';
import type { Output } from './output.js';

export type OutputFormat = 'simple' | 'json' | 'fields' | 'table' | 'protobuf';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['simple', 'json', 'fields', 'table', 'protobuf'];

/** One endpoint's health as `endpoint health` reports it. */
export interface EndpointHealth {
  endpoint: string;
  health: boolean;
  /** How long the check took, in nanoseconds. */
  tookNs: number;
  error?: string;
}

export interface EndpointStatus {
  endpoint: string;
  status: StatusResponse;
}

export interface EndpointHash {
  endpoint: string;
  hashKV: HashKVResponse;
}

export interface GetOptions {
  /** --print-value-only: values only, and only in the simple format. */
  valueOnly?: boolean;
}

/** What each format can print; missing methods are refused with etcdctl's error. */
export interface Printer {
  put?(r: PutResponse): void;
  get?(r: RangeResponse, o?: GetOptions): void;
  del?(r: DeleteRangeResponse): void;
  txn?(r: TxnResponse): void;
  memberList?(r: MemberListResponse): void;
  memberAdd?(r: MemberAddResponse): void;
  memberRemove?(id: bigint, r: MemberRemoveResponse): void;
  memberUpdate?(id: bigint, r: MemberUpdateResponse): void;
  memberPromote?(id: bigint, r: MemberPromoteResponse): void;
  endpointHealth?(hs: EndpointHealth[]): void;
  endpointStatus?(ss: EndpointStatus[]): void;
  endpointHashKV?(hs: EndpointHash[]): void;
  alarm?(r: AlarmResponse): void;
  moveLeader?(leader: bigint, target: bigint, r: MoveLeaderResponse): void;
}

export interface PrinterIO {
  out: Output;
  err: Output;
  hex: boolean;
}

export function notSupported(format: string): CtlError {
  return new CtlError(`${format} not supported as output format`, ExitCode.BadFeature);
}

/** Calls printer[method], or fails like etcdctl when the format lacks it. */
export function display<K extends keyof Printer>(p: Printer, format: OutputFormat, method: K, ...args: Parameters<NonNullable<Printer[K]>>): void {
  const fn = p[method] as ((...a: unknown[]) => void) | undefined;
  if (!fn) throw notSupported(format);
  fn.apply(p, args);
}
