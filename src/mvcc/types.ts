// The multi-version store's vocabulary: what a key-value looks like to readers, what a
// change looks like to watchers, and the read and write views of a transaction (after
// etcd's ReadView/WriteView/TxnRead/TxnWrite).

/**
 * A key as stored at one revision. Revisions and versions are plain numbers: they stay
 * below 2^53 in any store that can exist (one revision per applied request). Lease ids
 * are full 64-bit values, so bigint.
 */
export interface KeyValue {
  key: Buffer;
  value: Buffer;
  /** Main revision of the put that created this generation of the key. */
  createRevision: number;
  /** Main revision of the change this value comes from. */
  modRevision: number;
  /** Puts in this generation so far, this one included (1 for a new key). */
  version: number;
  /** Lease the key is attached to; 0n for none. */
  lease: bigint;
}

/** The first name of KeyValue in this layer; kept for callers written against it. */
export type StoredKv = KeyValue;

/** Numbered as mvccpb.Event.EventType, so watch can pass it through unchanged. */
export enum EventType {
  Put = 0,
  Delete = 1,
}

export interface StoreEvent {
  type: EventType;
  /** For a delete: only the key, and modRevision set to the deletion's revision. */
  kv: KeyValue;
  /** The key's value before this change, when it existed. */
  prevKv?: KeyValue;
}

export interface RangeOptions {
  /** Revision to read at; 0 or absent reads the transaction's current revision. */
  rev?: number;
  /** Maximum kvs returned; 0 or absent is unlimited. `count` still reports every match. */
  limit?: number;
  /** Count only: `kvs` comes back empty. */
  countOnly?: boolean;
}

export interface RangeResult {
  kvs: KeyValue[];
  /** Keys in the range at the read revision, regardless of limit. */
  count: number;
  /** The store's current revision as the transaction sees it (not the revision read at). */
  rev: number;
}

export interface DeleteResult {
  deleted: number;
  /** The deleted keys' last values, in key order. */
  prevKvs: KeyValue[];
}

/** A read transaction: a fixed view of the newest state when it began. */
export interface TxnRead {
  /**
   * end: empty = the single key; [0x00] = every key >= key; otherwise [key, end).
   * Throws ErrFutureRev for a revision past the transaction's, ErrCompacted for one
   * before the compaction revision.
   */
  range(key: Buffer, end: Buffer, options: RangeOptions): RangeResult;
  /**
   * range() for the member's own bookkeeping (lease attachments, watch history, probes):
   * the same answer, but not counted in etcd_mvcc_range_total, which counts the reads
   * etcd's applier makes for clients' requests.
   */
  peek(key: Buffer, end: Buffer, options: RangeOptions): RangeResult;
  rev(): number;
  /** Ends the transaction, and records its ops in the etcd_mvcc_* counters. */
  end(): void;
}

/** A write transaction: every change shares main revision rev()+1, sub revisions 0, 1, 2... */
export interface TxnWrite extends TxnRead {
  put(key: Buffer, value: Buffer, lease: bigint): void;
  /** Returns the number of keys deleted. */
  deleteRange(key: Buffer, end: Buffer): number;
  /** Same as deleteRange, also returning the deleted keys' previous values. */
  deleteRangeWithPrev(key: Buffer, end: Buffer): DeleteResult;
  /** The changes made so far, in order. */
  changes(): readonly StoreEvent[];
}

/** For HashKV: equal across members whose stores had equal histories up to `revision`. */
export interface HashResult {
  /** CRC32-C, unsigned. */
  hash: number;
  /** The store's current revision when the hash was taken. */
  revision: number;
  compactRevision: number;
}
