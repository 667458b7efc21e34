// What etcd's concurrency recipes (mutex, election) need from a key-value store. Two
// implementations exist: one over the member itself (the v3lock / v3election services)
// and one over a client connection (etcdctl lock / elect), so the recipes are written once.

import type { DeleteRangeRequest, DeleteRangeResponse, RangeRequest, RangeResponse, ResponseHeader, TxnRequest, TxnResponse } from '../gen/etcdserverpb/rpc.js';
import type { Event } from '../gen/mvccpb/kv.js';

/** One watch response with events: the header it came with and its events. */
export interface WatchBatch {
  header: ResponseHeader;
  events: Event[];
}

export interface ConcurrencyKv {
  range(r: RangeRequest): Promise<RangeResponse>;
  txn(r: TxnRequest): Promise<TxnResponse>;
  deleteRange(r: DeleteRangeRequest): Promise<DeleteRangeResponse>;
  /** Grants a lease of `ttlSec` seconds; answers its id. */
  grantLease(ttlSec: number): Promise<bigint>;
  /**
   * Events on [key, rangeEnd) (just `key` when rangeEnd is empty) from `startRevision` on.
   * Iteration ends when `signal` aborts; it throws when the watch is canceled by the store
   * (compaction, permission) or the connection is lost.
   */
  watch(key: Buffer, rangeEnd: Buffer, startRevision: bigint, signal: AbortSignal): AsyncIterable<WatchBatch>;
}

export { prefixRangeEnd } from '../pkg/prefix-range.js';
