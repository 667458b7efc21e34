// The backend: one LMDB environment (the file `member/snap/db`) with a named table per
// bucket (buckets.ts). Writes go to an in-memory write buffer and reach the file in
// batches, as etcd batches bbolt transactions: every `batchIntervalMs`, as soon as
// `batchLimit` writes are buffered, or on forceCommit(). Reads look through the buffer
// (read-view.ts), so a write is visible as soon as it is applied, long before its batch
// commits.
//
// Durability comes from the WAL, not from here: the member records the applied raft
// index (the consistent index) in the same batch as the writes it covers, and one batch
// is one LMDB transaction, so after a crash the file is exactly the state at some
// applied index and the WAL replays the rest.
//
// Why the file is never corrupt, whatever instant the process dies at:
// - LMDB is copy-on-write: a transaction writes new pages and then flips a meta page;
//   a reader (or a restart) sees the old or the new tree, never a mix.
// - overlappingSync (lmdb-js's default off Windows) fsyncs after the commit, outside the
//   write lock, and on restart falls back to the last *flushed* meta page if the machine
//   rebooted; a process kill keeps the page cache, so the last commit survives.
// - no noSync, no writemap: a stray write cannot scribble on the map, and nothing skips
//   the flush ordering above.
// - defrag writes a separate file, fsyncs it, and renames it into place; a snapshot's copy is a
//   separate temporary file, removed once read (or, after a crash, on the next open).
//
// Event loop: LMDB's fsync always runs on lmdb-js's writer thread. How the writes reach
// the transaction depends on the batch's size (both ways keep it one LMDB transaction):
// - up to `writerBatchMaxOps` writes (every interval commit of a steady write load): one
//   lmdb-js `batch()`; the main thread only queues each write in lmdb-js's instruction
//   buffer and the writer thread does the B-tree work. Measured, 500-write batches: 1.0-1.3
//   µs of main-thread CPU per write against 2.1-2.8 µs through transaction().
// - larger ones: a `transaction()` callback, which runs every mdb_put on the main thread,
//   `commitChunkOps` at a time, yielding between chunks (the transaction stays open on
//   LMDB's side). batch() cannot yield, and past ~1,000 writes it gets slower per write as
//   the writer thread starts on it early: measured, 10,000 writes held the loop 34 ms
//   (median) in one piece against 8 ms chunks, 100,000 writes 530 ms against 50 ms.
//
// Batch boundaries fall only between event-loop tasks (see afterWrite), never inside a
// synchronous run of writes.
//
// Order of buffered batches: at most one batch commits at a time; `committing` holds it
// (and, after a failed commit, every batch that can no longer reach the file) so reads
// still see it. `pending` is the batch filling up.

import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createReadStream, type ReadStream } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import { crc32c } from '@node-rs/crc32';
import { BUCKETS, type BatchTx, type Bucket, type Entry } from './buckets.js';
import { readGet, readRange, ReadView, type Tables } from './read-view.js';
import { keyBytes, WriteLayer, type BufferedValue } from './write-layer.js';
import { backendCommitSeconds } from '../metrics/registry.js';
import { writeBboltFile } from './bbolt-writer.js';

export { BUCKETS, type Bucket, type Entry, type BatchTx, type ReadTx } from './buckets.js';
export { ReadView } from './read-view.js';

/** Commit the buffered batch this often (etcd's --backend-batch-interval default)... */
export const BATCH_INTERVAL_MS = 100;
/** ...or as soon as it holds this many writes, whichever comes first (--backend-batch-limit). */
export const BATCH_LIMIT = 10_000;
/** Entries hashed between yields to the event loop. */
export const HASH_CHUNK_ENTRIES = 10_000;
/**
 * Writes applied to the LMDB transaction between yields to the event loop, on the
 * transaction() path. A put costs roughly 4-10 µs of main-thread time there (measured: a
 * 10,000-write batch blocked the loop for up to 340 ms in one piece, 15-40 ms at 100 per
 * chunk), so 200 keeps each piece to a few milliseconds.
 */
export const COMMIT_CHUNK_OPS = 200;
/** Batches of at most this many writes go through lmdb-js's batch() (see the file comment). */
export const WRITER_BATCH_MAX_OPS = 1000;
/** Address space reserved for the map; LMDB grows the file only as pages are used. */
export const MAP_SIZE_BYTES = 64 * 1024 * 1024 * 1024;
/** LMDB's meta pages at the start of the file. */
const META_PAGES = 2;

const DEFRAG_INFIX = '.defrag-';
const SNAPSHOT_INFIX = '.snapshot-';

export interface BackendOptions {
  batchIntervalMs?: number;
  batchLimit?: number;
  commitChunkOps?: number;
  /** Batches up to this many writes are queued to lmdb-js's writer thread whole (batch()). */
  writerBatchMaxOps?: number;
  /**
   * Called when a background commit fails. The default rethrows, which stops the
   * process, as etcd stops when bbolt cannot commit: buffered writes would otherwise be
   * acknowledged by the WAL yet silently missing from the file.
   */
  onCommitError?: (err: unknown) => void;
}

/** Reads of what is committed to the file, buffered writes left out (see inspectedCopy). */
export interface CommittedRead {
  get(bucket: Bucket, key: Buffer): Buffer | undefined;
  range(bucket: Bucket, start: Buffer, end?: Buffer): Entry[];
}

/** One open LMDB environment; defrag replaces it, so readers pin the one they started on. */
interface Env {
  readonly root: RootDatabase;
  readonly tables: Tables;
  /** Open read views and running copies on this environment. */
  users: number;
  /** Replaced by a defrag: close it when the last user leaves. */
  retired: boolean;
}

interface LmdbStats {
  pageSize?: number;
  treeBranchPageCount?: number;
  treeLeafPageCount?: number;
  overflowPages?: number;
  root?: LmdbStats;
  free?: LmdbStats;
}

function treePages(s: LmdbStats | undefined): number {
  return (s?.treeBranchPageCount ?? 0) + (s?.treeLeafPageCount ?? 0) + (s?.overflowPages ?? 0);
}

function openEnv(path: string, subdir: boolean): Env {
  const root = open({
    path,
    noSubdir: !subdir,
    maxDbs: BUCKETS.length + 2,
    mapSize: MAP_SIZE_BYTES,
    keyEncoding: 'binary',
    encoding: 'binary',
    overlappingSync: true,
    noSync: false,
    useWritemap: false,
    cache: false,
  });
  const tables = new Map<Bucket, Database<Buffer, Buffer>>();
  for (const b of BUCKETS) tables.set(b, root.openDB<Buffer, Buffer>({ name: b, keyEncoding: 'binary', encoding: 'binary', cache: false }));
  return { root, tables, users: 0, retired: false };
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Backend implements BatchTx {
  /** The LMDB data file (`path` itself, or `path/data.mdb` for a directory-style environment). */
  private readonly dataFile: string;
  private readonly lockFile: string;
  private env: Env;
  /** Writes since the last commit started. */
  private pending = new WriteLayer();
  /** Read views and copies not yet released (see openReadTransactions). */
  private pinnedReads = 0;
  /** Batches handed to a commit that has not finished, oldest first. */
  private committing: WriteLayer[] = [];
  /** Settles when every commit started so far has finished. */
  private commitTail: Promise<void> = Promise.resolve();
  private commitFailure: unknown;
  private defragRun: Promise<void> | undefined;
  /** Non-zero while a defrag, copy or replace runs: commits wait so the copy misses nothing. */
  private commitHolds = 0;
  /** Resolved when the last hold is released; forceCommit waits on it. */
  private holdsReleased: Promise<void> = Promise.resolve();
  private releaseHolds: () => void = () => undefined;
  private copySeq = 0;
  private limitCheckQueued = false;
  private readonly timer: NodeJS.Timeout;
  private readonly batchLimit: number;
  private readonly commitChunkOps: number;
  private readonly writerBatchMaxOps: number;
  private readonly onCommitError: (err: unknown) => void;
  private closed = false;
  /** size()'s last stat; cleared whenever a commit or defrag may have changed the file. */
  private cachedSize: number | undefined;

  /** The batch transaction: the backend itself, named for readers of etcd's code. */
  readonly batchTx: BatchTx = this;

  private constructor(
    readonly path: string,
    opts: BackendOptions,
  ) {
    // A directory at `path` is an environment created in LMDB's directory layout.
    const subdir = existsSync(path) && statSync(path).isDirectory();
    this.dataFile = subdir ? join(path, 'data.mdb') : path;
    this.lockFile = subdir ? join(path, 'lock.mdb') : `${path}-lock`;
    removeStaleCopies(this.dataFile);
    this.env = openEnv(path, subdir);
    this.batchLimit = opts.batchLimit ?? BATCH_LIMIT;
    this.commitChunkOps = opts.commitChunkOps ?? COMMIT_CHUNK_OPS;
    this.writerBatchMaxOps = opts.writerBatchMaxOps ?? WRITER_BATCH_MAX_OPS;
    this.onCommitError =
      opts.onCommitError ??
      ((err) => {
        throw err;
      });
    this.timer = setInterval(() => this.commitIfIdle(0), opts.batchIntervalMs ?? BATCH_INTERVAL_MS);
    this.timer.unref();
  }

  static open(path: string, opts: BackendOptions = {}): Backend {
    return new Backend(path, opts);
  }

  // ---- reads and writes ----

  private layers(): WriteLayer[] {
    const out = [this.pending];
    for (let i = this.committing.length - 1; i >= 0; i--) out.push(this.committing[i]!);
    return out;
  }

  get(bucket: Bucket, key: Buffer): Buffer | undefined {
    this.assertOpen();
    return readGet(this.env.tables, this.layers(), bucket, key);
  }

  range(bucket: Bucket, start: Buffer, end?: Buffer, limit = 0): Entry[] {
    this.assertOpen();
    return readRange(this.env.tables, this.layers(), bucket, start, end, limit);
  }

  put(bucket: Bucket, key: Buffer, value: Buffer): void {
    this.assertOpen();
    this.pending.set(bucket, key, value);
    this.afterWrite();
  }

  /** put() with the key given as its latin1 string (one char per byte), as the write buffer holds it. */
  putKeyString(bucket: Bucket, key: string, value: Buffer): void {
    this.assertOpen();
    this.pending.setKey(bucket, key, value);
    this.afterWrite();
  }

  delete(bucket: Bucket, key: Buffer): void {
    this.assertOpen();
    this.pending.set(bucket, key, null);
    this.afterWrite();
  }

  /**
   * LMDB read transactions open now: one per read view and per running copy, each pinned
   * to its snapshot until released. Live reads are not counted: they use lmdb-js's shared
   * read transaction, which is renewed for a read and reset at the end of the event-loop
   * turn, so it holds nothing open between turns (etcd's idle member shows 1 here, its
   * long-lived shared bbolt read transaction; this backend's idle value is 0).
   */
  openReadTransactions(): number {
    return this.pinnedReads;
  }

  /** Writes buffered and not yet committed (callers may throttle on it). */
  bufferedOps(): number {
    let n = this.pending.ops;
    for (const l of this.committing) n += l.ops;
    return n;
  }

  /**
   * A consistent picture of everything written so far, for work spanning several
   * event-loop turns. Release it with done().
   */
  readView(): ReadView {
    this.assertOpen();
    const env = this.pin();
    const layers = [this.pending.snapshot(), ...this.committing.slice().reverse()];
    return new ReadView(env.tables, layers, env.root.useReadTransaction(), () => this.release(env));
  }

  /**
   * Entries of a bucket within [start, end), as a promise for callers written against
   * the first version of this class. Same result as range().
   */
  async scan(bucket: Bucket, start?: Buffer, end?: Buffer): Promise<Entry[]> {
    return this.range(bucket, start ?? Buffer.alloc(0), end);
  }

  // ---- commits ----

  /**
   * A full buffer is committed from a fresh event-loop task, never from inside put():
   * so writes made in one synchronous stretch (a write transaction and the consistent
   * index that covers it) always land in the same batch, as etcd's batchTx lock ensures.
   */
  private afterWrite(): void {
    if (this.pending.ops < this.batchLimit || this.limitCheckQueued) return;
    this.limitCheckQueued = true;
    setImmediate(() => {
      this.limitCheckQueued = false;
      this.commitIfIdle(this.batchLimit);
    });
  }

  /** Starts a commit of the pending batch when it has at least `minOps` writes and none is running. */
  private commitIfIdle(minOps: number): void {
    if (this.pending.ops === 0 || this.pending.ops < minOps) return;
    if (this.committing.length > 0 || this.commitHolds > 0 || this.closed) return;
    this.startCommit().catch((err: unknown) => this.onCommitError(err));
  }

  private startCommit(): Promise<void> {
    const layer = this.pending;
    this.pending = new WriteLayer();
    this.committing.push(layer);
    const run = this.commitTail.then(() => this.writeLayer(layer));
    this.commitTail = run.catch(() => undefined);
    return run;
  }

  private async writeLayer(layer: WriteLayer): Promise<void> {
    if (this.commitFailure !== undefined) throw this.commitFailure;
    const env = this.env;
    const started = performance.now();
    try {
      if (layer.ops <= this.writerBatchMaxOps) await writeOnWriterThread(env, layer);
      else await writeInChunks(env, layer, this.commitChunkOps);
    } catch (err) {
      // The batch stays in `committing` so reads still see it; nothing later may commit
      // past it, or the file would skip writes.
      this.commitFailure = err;
      throw err;
    } finally {
      this.cachedSize = undefined;
    }
    backendCommitSeconds.observe((performance.now() - started) / 1000);
    this.committing = this.committing.filter((l) => l !== layer);
    this.commitIfIdle(this.batchLimit);
  }

  private holdCommits(): void {
    if (this.commitHolds++ === 0) this.holdsReleased = new Promise((resolve) => (this.releaseHolds = resolve));
  }

  private unholdCommits(): void {
    if (--this.commitHolds === 0) this.releaseHolds();
  }

  /** Commits everything buffered so far; resolves when it is in the file. */
  async forceCommit(): Promise<void> {
    if (this.commitFailure !== undefined) throw this.commitFailure;
    if (this.defragRun) await this.defragRun;
    while (this.commitHolds > 0) await this.holdsReleased;
    if (this.pending.ops > 0) await this.startCommit();
    else {
      await this.commitTail;
      if (this.commitFailure !== undefined) throw this.commitFailure;
    }
  }

  /** Same as forceCommit(). */
  commit(): Promise<void> {
    return this.forceCommit();
  }

  // ---- size and hash ----

  /**
   * Bytes of the backend file. Only a commit or a defrag changes it, so the stat is cached
   * until the next one finishes: the quota asks on every proposal and every apply.
   */
  size(): number {
    if (this.cachedSize === undefined) {
      try {
        this.cachedSize = statSync(this.dataFile).size;
      } catch {
        return 0;
      }
    }
    return this.cachedSize;
  }

  /** Bytes of the file's live pages; the rest is free pages that defrag gives back. */
  sizeInUse(): number {
    const root = this.env.root.getStats() as LmdbStats;
    const pageSize = root.pageSize ?? 4096;
    let pages = META_PAGES + treePages(root.root ?? root) + treePages(root.free);
    for (const db of this.env.tables.values()) pages += treePages(db.getStats() as LmdbStats);
    return Math.min(this.size(), pages * pageSize);
  }

  /**
   * CRC32-C over every bucket (in name order), each bucket's name then its keys and values
   * in key order, buffered writes included. Equal contents give equal hashes whatever the
   * file layout. `skip` leaves out entries (e.g. the consistent index, which differs
   * between members with equal data).
   */
  async hash(skip?: (bucket: Bucket, key: Buffer) => boolean): Promise<number> {
    const view = this.readView();
    try {
      let crc = 0;
      let n = 0;
      for (const bucket of [...BUCKETS].sort()) {
        crc = crc32c(Buffer.from(bucket), crc);
        for (const { key, value } of view.iterate(bucket)) {
          if (skip?.(bucket, key)) continue;
          crc = crc32c(value, crc32c(key, crc));
          if (++n % HASH_CHUNK_ENTRIES === 0) await yieldToLoop();
        }
      }
      return crc >>> 0;
    } finally {
      view.done();
    }
  }

  // ---- snapshot and defrag ----

  /**
   * A consistent copy as a stream of bytes, plus what `inspect` reads from exactly the
   * state the copy holds (commits wait meanwhile): a raft snapshot sent with the copy
   * names the copy's own consistent index and membership. The temporary file goes when
   * the stream closes.
   */
  async inspectedCopy<T>(inspect: (read: CommittedRead) => T): Promise<{ stream: ReadStream; size: number; inspected: T }> {
    this.assertOpen();
    await this.forceCommit();
    const tmp = `${this.dataFile}${SNAPSHOT_INFIX}${process.pid}-${++this.copySeq}`;
    // Held like a defrag holds them: the copy and `inspected` describe one and the same state.
    this.holdCommits();
    let inspected: T;
    let env: Env | undefined;
    try {
      while (this.committing.length > 0 && this.commitFailure === undefined) await this.commitTail;
      if (this.commitFailure !== undefined) throw this.commitFailure;
      env = this.pin();
      const tables = env.tables;
      inspected = inspect({
        get: (bucket, key) => readGet(tables, [], bucket, key),
        range: (bucket, start, end) => readRange(tables, [], bucket, start, end, 0),
      });
      await env.root.backup(tmp, false);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    } finally {
      if (env) this.release(env);
      this.unholdCommits();
      this.commitIfIdle(0);
    }
    fsyncPath(tmp);
    const size = statSync(tmp).size;
    const stream = createReadStream(tmp);
    stream.on('close', () => rmSync(tmp, { force: true }));
    return { stream, size, inspected };
  }

  /**
   * Replaces the whole backend with the LMDB file at `fromPath` (a raft snapshot's db
   * received from the leader), which is moved into place. Writes buffered so far are
   * committed to the old file first; they describe a state the new file supersedes.
   * Readers that hold a view on the old environment keep it until they are done.
   */
  async replaceWith(fromPath: string): Promise<void> {
    this.assertOpen();
    if (this.defragRun) await this.defragRun.catch(() => undefined);
    await this.forceCommit();
    this.holdCommits();
    try {
      fsyncPath(fromPath);
      const old = this.env;
      const fresh = openEnv(fromPath, false);
      this.env = fresh;
      renameSync(fromPath, this.dataFile);
      if (existsSync(`${fromPath}-lock`)) renameSync(`${fromPath}-lock`, this.lockFile);
      fsyncPath(dirname(this.dataFile));
      old.retired = true;
      // Not awaited: the caller rebuilds its in-memory state from the new file next, and
      // nothing may be read in between (see KVStore.reload).
      if (old.users === 0) void old.root.close().catch(() => undefined);
    } finally {
      this.unholdCommits();
      this.commitIfIdle(0);
    }
  }

  /**
   * The backend as a bbolt file (what etcd's Snapshot rpc sends and etcd's tools open),
   * streamed from a temporary file that goes when the stream closes. The pairs come from
   * one read view taken at the call, buffered writes included, so the file is one point
   * in time; writes and commits go on meanwhile (the view pins its LMDB read transaction,
   * not the write lock).
   */
  async snapshotStream(): Promise<{ stream: ReadStream; size: number }> {
    const view = this.readView();
    const tmp = `${this.dataFile}${SNAPSHOT_INFIX}${process.pid}-${++this.copySeq}`;
    let size: number;
    try {
      // bbolt keeps top-level buckets in bytewise name order.
      const names = [...BUCKETS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      size = await writeBboltFile(tmp, names.map((name) => ({ name: Buffer.from(name), entries: () => view.iterate(name) })));
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    } finally {
      view.done();
    }
    // Not fsynced: the file is read back at once (from the page cache) and removed; a
    // crash meanwhile loses nothing but the copy, which the next open removes.
    const stream = createReadStream(tmp);
    stream.on('close', () => rmSync(tmp, { force: true }));
    return { stream, size };
  }

  /**
   * Rewrites the file without free pages and swaps it in, online: reads keep working
   * throughout, and writes made meanwhile stay buffered until the swap is done.
   *
   * Steps: commit everything; hold commits; copy the live pages into a new file (LMDB's
   * compacting copy, on a background thread); fsync it; open it; point reads at it;
   * rename it over the old file; let commits resume. A crash before the rename leaves
   * the old file (and a stale copy removed on the next open); after it, the new file,
   * which holds every committed batch.
   */
  defrag(): Promise<void> {
    this.assertOpen();
    if (!this.defragRun) {
      this.defragRun = this.runDefrag().finally(() => {
        this.cachedSize = undefined;
        this.defragRun = undefined;
        this.commitIfIdle(0);
      });
    }
    return this.defragRun;
  }

  private async runDefrag(): Promise<void> {
    if (this.pending.ops > 0) await this.startCommit();
    await this.commitTail;
    if (this.commitFailure !== undefined) throw this.commitFailure;
    this.holdCommits();
    const tmp = `${this.dataFile}${DEFRAG_INFIX}${process.pid}-${++this.copySeq}`;
    try {
      const old = this.env;
      await old.root.backup(tmp, true);
      fsyncPath(tmp);
      const fresh = openEnv(tmp, false);
      // From here reads use the copy; it holds every committed batch, and the buffer the rest.
      this.env = fresh;
      renameSync(tmp, this.dataFile);
      if (existsSync(`${tmp}-lock`)) renameSync(`${tmp}-lock`, this.lockFile);
      fsyncPath(dirname(this.dataFile));
      old.retired = true;
      if (old.users === 0) await old.root.close();
    } catch (err) {
      rmSync(tmp, { force: true });
      rmSync(`${tmp}-lock`, { force: true });
      throw err;
    } finally {
      this.unholdCommits();
    }
  }

  /** Holds the current file open for a reader until release(); counted in openReadTransactions. */
  private pin(): Env {
    const env = this.env;
    env.users++;
    this.pinnedReads++;
    return env;
  }

  private release(env: Env): void {
    env.users--;
    this.pinnedReads--;
    if (env.retired && env.users === 0) void env.root.close();
  }

  // ---- life cycle ----

  private assertOpen(): void {
    if (this.closed) throw new Error('backend: closed');
  }

  /** Commits what is buffered and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.defragRun) await this.defragRun.catch(() => undefined);
    clearInterval(this.timer);
    try {
      await this.forceCommit();
    } finally {
      this.closed = true;
      await this.env.root.close();
    }
  }
}

/**
 * Queues every write of `layer` in one lmdb-js batch(): they land in one LMDB transaction,
 * which lmdb-js's writer thread runs; settles once it is committed.
 */
function writeOnWriterThread(env: Env, layer: WriteLayer): Promise<unknown> {
  return env.root.batch(() => {
    layer.forEachWrite((bucket, k, v) => writeOne(env, bucket, scratchKey(k), v));
  });
}

/** One buffered write (null: a delete) queued to lmdb-js: in a batch() or an open transaction(). */
function writeOne(env: Env, bucket: Bucket, key: Buffer, v: BufferedValue): void {
  const db = env.tables.get(bucket)!;
  if (v === null) void db.remove(key);
  else void db.put(key, v);
}

/** Keys up to this length are written through a reused Buffer (see scratchKey). */
const SCRATCH_KEY_MAX = 64;
/** By length: lmdb-js writes a key's length and bytes, so the Buffer must be exactly as long. */
const scratchKeys: Buffer[] = [];

/**
 * keyBytes(k) in a Buffer that is reused for the next key of the same length: lmdb-js
 * copies a key into its write instructions during put()/remove() and keeps no reference
 * (keys.js writeBufferKey), so a fresh Buffer per write (~3 a put) was garbage for nothing.
 * Only for a put or remove that returns before the next key is made.
 */
function scratchKey(k: string): Buffer {
  const n = k.length;
  if (n > SCRATCH_KEY_MAX) return keyBytes(k);
  let b = scratchKeys[n];
  if (b === undefined) {
    b = Buffer.allocUnsafeSlow(n);
    scratchKeys[n] = b;
  }
  b.write(k, 0, 'latin1');
  return b;
}

/** Applies `layer` in a transaction() callback, `chunk` writes between yields to the loop. */
async function writeInChunks(env: Env, layer: WriteLayer, chunk: number): Promise<void> {
  await env.root.transaction(async () => {
    let n = 0;
    for (const [bucket, k, v] of layer.all()) {
      // Inside a transaction callback this applies to the open transaction at once.
      writeOne(env, bucket, keyBytes(k), v);
      if (++n % chunk === 0) await yieldToLoop();
    }
  });
}

/** Removes copies a crash left behind (a defrag or snapshot that never finished). */
function removeStaleCopies(dataFile: string): void {
  const dir = dirname(dataFile);
  if (!existsSync(dir)) return;
  const base = basename(dataFile);
  for (const name of readdirSync(dir)) {
    if (name.startsWith(base + DEFRAG_INFIX) || name.startsWith(base + SNAPSHOT_INFIX)) rmSync(join(dir, name), { force: true });
  }
}
