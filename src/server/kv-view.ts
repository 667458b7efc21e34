// What the applier needs from the multi-version store, stated as interfaces so the
// request semantics (sorting, filtering, compares, txn branches) can be read and tested
// apart from storage. The value types are mvcc's own; its transactions satisfy these.

import type { RangeOptions, RangeResult, StoredKv } from '../mvcc/kv-store.js';

export type { RangeOptions, RangeResult };
/** A key-value pair as stored: revisions and version are plain numbers (< 2^53), lease ids bigint. */
export type StoredKeyValue = StoredKv;

export interface KvRead {
  /** end: empty = the single key; [0x00] = every key >= key; otherwise [key, end). */
  range(key: Buffer, end: Buffer, options: RangeOptions): RangeResult;
  /**
   * range() that etcd_mvcc_range_total does not count: for reads etcd makes outside its
   * counted store transactions (lease bookkeeping, revision checks), or not at all.
   */
  peek(key: Buffer, end: Buffer, options: RangeOptions): RangeResult;
  /** The store's current revision as seen by this transaction. */
  rev(): number;
}

export interface KvWrite extends KvRead {
  put(key: Buffer, value: Buffer, lease: bigint): void;
  /** Returns the number of keys deleted. */
  deleteRange(key: Buffer, end: Buffer): number;
}
