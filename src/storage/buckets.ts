// The backend's named tables ("buckets", after bbolt's word in etcd). Each is one LMDB
// named database with bytewise-ordered binary keys and binary values.

export const BUCKETS = ['key', 'meta', 'lease', 'auth', 'authUsers', 'authRoles', 'members', 'members_removed', 'alarm', 'cluster'] as const;
export type Bucket = (typeof BUCKETS)[number];

/** A stored pair. */
export interface Entry {
  key: Buffer;
  value: Buffer;
}

/** Reads over the backend: through the write buffer, so buffered writes are visible. */
export interface ReadTx {
  get(bucket: Bucket, key: Buffer): Buffer | undefined;
  /**
   * Entries with start <= key < end in key order; `end` undefined reads to the end of the
   * bucket; `limit` 0 (or undefined) is unlimited.
   */
  range(bucket: Bucket, start: Buffer, end?: Buffer, limit?: number): Entry[];
}

/** The batch transaction: writes are buffered and reach the file with the next commit. */
export interface BatchTx extends ReadTx {
  put(bucket: Bucket, key: Buffer, value: Buffer): void;
  delete(bucket: Bucket, key: Buffer): void;
}
