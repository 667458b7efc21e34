// The backend: one LMDB environment (the file `member/snap/db`) with a named table per
// bucket. Writes are buffered and committed in batches, as etcd's backend batches bbolt
// transactions; reads look through the buffer first, so a write is visible as soon as
// it is applied, long before its batch commits.
//
// Durability comes from the WAL, not from here: the member records the applied raft
// index (the consistent index) in the same batch as the writes it covers, so after a
// crash the backend is exactly the state at some applied index and the WAL replays the
// rest. LMDB's copy-on-write commits keep the file consistent at every instant.

import { statSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';

export const BUCKETS = ['key', 'meta', 'lease', 'auth', 'authUsers', 'authRoles', 'members', 'members_removed', 'alarm', 'cluster'] as const;
export type Bucket = (typeof BUCKETS)[number];

/** Commit the buffered batch this often... */
export const BATCH_INTERVAL_MS = 100;
/** ...or as soon as it holds this many writes, whichever comes first. */
export const BATCH_LIMIT = 10_000;
/** Largest map the environment may grow to; LMDB reserves address space, not disk. */
const MAP_SIZE_BYTES = 64 * 1024 * 1024 * 1024;

/** A buffered write: a value, or null for a delete. */
type Pending = Map<string, Buffer | null>;

function keyString(key: Buffer): string {
  // latin1 maps bytes 1:1 to UTF-16 code units, so string order equals byte order.
  return key.toString('latin1');
}

export interface BackendOptions {
  batchIntervalMs?: number;
  batchLimit?: number;
}

export class Backend {
  private readonly root: RootDatabase;
  private readonly dbs = new Map<Bucket, Database<Buffer, Buffer>>();
  /** Writes not yet handed to LMDB, per bucket. */
  private pending = new Map<Bucket, Pending>();
  private pendingCount = 0;
  /** Batches handed to LMDB whose commit has not finished, oldest first. */
  private committing: Map<Bucket, Pending>[] = [];
  /** Commit promises not yet settled. */
  private readonly inflight = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly batchLimit: number;
  private closed = false;

  private constructor(
    readonly path: string,
    opts: BackendOptions,
  ) {
    this.root = open({ path, maxDbs: BUCKETS.length + 4, mapSize: MAP_SIZE_BYTES, keyEncoding: 'binary', encoding: 'binary' });
    for (const b of BUCKETS) {
      this.dbs.set(b, this.root.openDB<Buffer, Buffer>({ name: b, keyEncoding: 'binary', encoding: 'binary' }));
    }
    this.batchLimit = opts.batchLimit ?? BATCH_LIMIT;
    this.timer = setInterval(() => void this.commit(), opts.batchIntervalMs ?? BATCH_INTERVAL_MS);
    this.timer.unref();
  }

  static open(path: string, opts: BackendOptions = {}): Backend {
    return new Backend(path, opts);
  }

  private db(bucket: Bucket): Database<Buffer, Buffer> {
    return this.dbs.get(bucket)!;
  }

  private bucketPending(bucket: Bucket): Pending {
    let p = this.pending.get(bucket);
    if (!p) {
      p = new Map();
      this.pending.set(bucket, p);
    }
    return p;
  }

  put(bucket: Bucket, key: Buffer, value: Buffer): void {
    this.bucketPending(bucket).set(keyString(key), value);
    if (++this.pendingCount >= this.batchLimit) void this.commit();
  }

  delete(bucket: Bucket, key: Buffer): void {
    this.bucketPending(bucket).set(keyString(key), null);
    if (++this.pendingCount >= this.batchLimit) void this.commit();
  }

  get(bucket: Bucket, key: Buffer): Buffer | undefined {
    const k = keyString(key);
    const p = this.pending.get(bucket);
    if (p?.has(k)) return p.get(k) ?? undefined;
    for (let i = this.committing.length - 1; i >= 0; i--) {
      const c = this.committing[i]!.get(bucket);
      if (c?.has(k)) return c.get(k) ?? undefined;
    }
    return this.db(bucket).getBinary(key) ?? undefined;
  }

  /**
   * Entries of a bucket in key order within [start, end) (end undefined: to the end).
   * Flushes buffered writes first, so it sees everything; meant for start-up and
   * maintenance, not the request path.
   */
  async scan(bucket: Bucket, start?: Buffer, end?: Buffer): Promise<{ key: Buffer; value: Buffer }[]> {
    await this.commit();
    const out: { key: Buffer; value: Buffer }[] = [];
    for (const { key, value } of this.db(bucket).getRange({ start, end })) {
      out.push({ key: Buffer.from(key), value: Buffer.from(value) });
    }
    return out;
  }

  /** Commits everything buffered so far in one LMDB transaction; resolves when it is durable in the file. */
  async commit(): Promise<void> {
    if (this.pendingCount === 0) {
      await Promise.all(this.inflight);
      return;
    }
    const batch = this.pending;
    this.pending = new Map();
    this.pendingCount = 0;
    this.committing.push(batch);
    const done = this.root.transaction(() => {
      for (const [bucket, writes] of batch) {
        const db = this.db(bucket);
        for (const [k, v] of writes) {
          const key = Buffer.from(k, 'latin1');
          // Inside a transaction callback these apply to the transaction at once.
          if (v === null) void db.remove(key);
          else void db.put(key, v);
        }
      }
    });
    this.inflight.add(done);
    try {
      await done;
    } finally {
      this.inflight.delete(done);
      this.committing = this.committing.filter((b) => b !== batch);
    }
  }

  /** Bytes of the backend file. */
  size(): number {
    try {
      return statSync(this.path).size;
    } catch {
      return 0;
    }
  }

  /** Bytes of the file holding live pages (the rest is free pages a defrag would return). */
  sizeInUse(): number {
    const s = this.root.getStats() as { pageSize?: number; lastPageNumber?: number; freelistEntryCount?: number };
    const pageSize = s.pageSize ?? 4096;
    const pages = (s.lastPageNumber ?? 0) + 1;
    return Math.min(this.size(), pages * pageSize);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.commit();
    await this.root.close();
  }
}
