// What the applier needs from the multi-version store, stated as interfaces so the
// request semantics (sorting, filtering, compares, txn branches) can be read and tested
// apart from storage. The mvcc layer's transactions satisfy these directly.

/** A key-value pair as stored: revisions and version are plain numbers (< 2^53), lease ids bigint. */
export interface StoredKeyValue {
  key: Buffer;
  value: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: bigint;
}

export interface RangeOptions {
  /** Revision to read at; 0 reads the newest. */
  rev?: number;
  /** Maximum kvs returned; 0 is unlimited. `count` still reports every match. */
  limit?: number;
  /** Count only: `kvs` comes back empty. */
  countOnly?: boolean;
}

export interface RangeResult {
  kvs: StoredKeyValue[];
  /** Number of keys in the range at `rev`, regardless of limit. */
  count: number;
  /** The store's revision the read was served at. */
  rev: number;
}

export interface KvRead {
  /** end: empty = the single key; [0x00] = every key >= key; otherwise [key, end). */
  range(key: Buffer, end: Buffer, options: RangeOptions): RangeResult;
  /** The store's current revision as seen by this transaction. */
  rev(): number;
}

export interface KvWrite extends KvRead {
  put(key: Buffer, value: Buffer, lease: bigint): void;
  /** Returns the number of keys deleted. */
  deleteRange(key: Buffer, end: Buffer): number;
}
