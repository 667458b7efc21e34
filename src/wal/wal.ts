// The write-ahead log: raft's hard state and entries, written and fdatasync'ed before
// any of them is acknowledged or acted on. Format: ./README.md and record-format.ts.
//
// Life cycle: WAL.create(dir, metadata) for a new member, or WAL.open(dir, {fromSnapshot})
// then readAll() on restart; then save() once per raft Ready, saveSnapshot() after a raft
// snapshot file is written, releaseLockTo()/purge() to drop old segments, close().
//
// Invariants:
// - save() resolves only after its frames are written and fdatasync'ed; a save that
//   rejected leaves the WAL failed (every later call rejects): the member must stop.
// - Writes are serialized. Saves queued while a write is in flight are coalesced into
//   the next single write and fdatasync (group commit), in the order they were called.
// - Only the last segment is written. A segment is cut after a write takes it to
//   `segmentBytes`: it is truncated to its data and fsynced, and the next one becomes
//   visible by rename only after its head (crc, metadata, hard state) is fsynced.
// - The directory's LOCK is held from open/create until close.

import { fdatasyncSync, readdirSync, writeSync } from 'node:fs';
import { readdir, rename, unlink, mkdir, rm, open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Entry, HardState } from '../raft/types.js';
import { FsyncPlacement } from './fsync-placement.js';
import {
  CRC_FRAME_BYTES,
  ENTRY_FIXED_BYTES,
  FrameWriter,
  MAX_RECORD_PAYLOAD_BYTES,
  SNAPSHOT_FRAME_BYTES,
  STATE_FRAME_BYTES,
  entryFrameSize,
  frameSize,
  type WalSnapshotMark,
} from './record-format.js';
import { walFsyncSeconds, walWriteBytes } from '../metrics/registry.js';
import { SEGMENT_TMP_SUFFIX, fsyncDir, listSegments, parseSegmentName, searchSegment, segmentName, sequenceIsContiguous, type SegmentName } from './segment-files.js';
import { readLog, type WalContents } from './log-reader.js';
import * as putTrace from '../metrics/put-trace.js';
import { DirLock } from './dir-lock.js';
import { WalFileNotFoundError } from './errors.js';

export type { WalContents } from './log-reader.js';
export type { WalSnapshotMark } from './record-format.js';
export * from './errors.js';

/** Segment size (bytes) at which a segment is cut; preallocated up front. Tests pass smaller. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Most saves coalesced into one write + fdatasync. */
export const MAX_SAVES_PER_WRITE = 256;
/** Most saves waiting behind the one being written; more means the caller does not await. */
export const MAX_PENDING_SAVES = 4096;

export type WalWarn = (msg: string, fields: Record<string, unknown>) => void;

export interface WalOptions {
  /** Cut segments at this size (bytes). Default DEFAULT_SEGMENT_BYTES. */
  segmentBytes?: number;
  /** Receives warnings worth an operator's attention (a repaired torn tail). */
  warn?: WalWarn;
}

export interface WalOpenOptions extends WalOptions {
  /** Read entries after this snapshot; a snapshot record for it must exist. Default {0, 0}. */
  fromSnapshot?: WalSnapshotMark;
}

type Op =
  | { kind: 'save'; hardState: HardState | undefined; entries: Entry[]; mustSync: boolean; resolve: () => void; reject: (e: Error) => void }
  | { kind: 'snapshot'; mark: WalSnapshotMark; resolve: () => void; reject: (e: Error) => void };

interface TailState {
  fh: FileHandle;
  seq: number;
  offset: number;
  crc: number;
  lastIndex: number;
  hardState: HardState | undefined;
}

export class WAL {
  /** Current last segment; the only one written. */
  private fh: FileHandle;
  /** Its seq number. */
  private seq: number;
  /** Next write position in it (bytes); a multiple of 8. */
  private offset: number;
  /** Running CRC after the last frame written. */
  private crc: number;
  /** Index of the last entry (or snapshot) saved: the next cut's segment name index - 1. */
  private lastIndex: number;
  /** Newest hard state saved; repeated at the head of every new segment. */
  private hardState: HardState | undefined;
  /** Segments still needed (not releasable by purge), oldest first; always includes the last. */
  private locked: SegmentName[];
  /** What open() read, until readAll() hands it over. */
  private opened: WalContents | undefined;
  private pending: Op[] = [];
  private flushing: Promise<void> | undefined;
  private failed: Error | undefined;
  private closed = false;
  /** fdatasync calls and bytes written since open, for metrics (etcd_disk_wal_fsync_duration_seconds_count). */
  private counters = { fsyncs: 0, bytesWritten: 0 };
  /** Where each batch's fdatasync runs: the loop's thread or the thread pool (see there). */
  private readonly fsyncPlacement = new FsyncPlacement();
  /**
   * A hard state whose only change was the commit index (raft's MustSync false), not yet
   * written: it goes out at the head of the next write, or at close. As etcd's WAL keeps
   * such a record in its write buffer until the next sync, a process crash may lose it;
   * nothing depends on it: raft learns the commit index again from the leader (or, alone,
   * by committing its next entry), and entries applied past it are skipped on restart by
   * the backend's consistent index. Every entry and every term or vote change is still
   * written and fdatasync'ed before save() resolves.
   */
  private deferredState: HardState | undefined;
  /** Says whether the member has other work waiting (set by the server; see setBusyProbe). */
  private busyProbe: () => boolean = () => false;

  private constructor(
    /** The WAL directory. */
    readonly dir: string,
    private readonly metadata: Uint8Array,
    private readonly lock: DirLock,
    private readonly segmentBytes: number,
    tail: TailState,
    locked: SegmentName[],
    opened: WalContents | undefined,
  ) {
    this.fh = tail.fh;
    this.seq = tail.seq;
    this.offset = tail.offset;
    this.crc = tail.crc;
    this.lastIndex = tail.lastIndex;
    this.hardState = tail.hardState;
    this.locked = locked;
    this.opened = opened;
  }

  /** True when `dir` holds at least one segment file. Synchronous: it runs before anything starts. */
  static exists(dir: string): boolean {
    try {
      return readdirSync(dir).some((n) => parseSegmentName(n) !== undefined);
    } catch {
      return false;
    }
  }

  /**
   * Creates a WAL in `dir` holding `metadata`, with a snapshot record at {0, 0}. It is
   * built in `<dir>.tmp` and renamed into place, so a crash leaves either no WAL or a
   * whole one. Throws if `dir` already holds segments.
   */
  static async create(dir: string, metadata: Uint8Array, opts: WalOptions = {}): Promise<WAL> {
    if (WAL.exists(dir)) throw new Error(`wal: ${dir} already exists`);
    const segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    const tmp = join(dirname(dir), `${basename(dir)}.tmp`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true, mode: 0o700 });
    const head = Buffer.allocUnsafe(CRC_FRAME_BYTES + frameSize(metadata.length) + SNAPSHOT_FRAME_BYTES);
    const w = new FrameWriter(head, 0);
    w.crcRecord(0);
    w.metadata(metadata);
    w.snapshot({ index: 0, term: 0 });
    const fh = await open(join(tmp, segmentName(0, 0)), 'w+', 0o600);
    try {
      await fh.truncate(Math.max(segmentBytes, head.length));
      await writeAll(fh, head, 0);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsyncDir(tmp);
    // `dir` may exist empty (--wal-dir made by an operator); it holds no segments.
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    await fsyncDir(dirname(dir));
    const wal = await WAL.open(dir, opts);
    wal.opened = undefined;
    return wal;
  }

  /**
   * Opens the WAL in `dir` for appending, after reading and verifying every segment from
   * the one holding `fromSnapshot` on. A torn tail is cut back to the last good record
   * (and `warn`ed about); damage anywhere else throws WalCorruptionError, whose message
   * starts `wal: crc mismatch` and names the file and offset. Takes the directory lock
   * (WalLockedError if held). Call readAll() for what was read.
   */
  static async open(dir: string, opts: WalOpenOptions = {}): Promise<WAL> {
    const from = opts.fromSnapshot ?? { index: 0, term: 0 };
    const segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    const all = await listSegments(dir);
    if (all.length === 0) throw new WalFileNotFoundError(dir, 'no segment files');
    const startPos = searchSegment(all, from.index);
    if (startPos < 0) throw new WalFileNotFoundError(dir, `no segment holds index ${from.index}`);
    const segs = all.slice(startPos);
    if (!sequenceIsContiguous(segs)) throw new WalFileNotFoundError(dir, 'segment sequence numbers have a gap');
    const lock = DirLock.acquire(dir);
    try {
      await removeTmpSegments(dir);
      const read = await readLog(dir, segs, from);
      const t = read.tail;
      const fh = await open(t.path, 'r+');
      try {
        if (t.torn !== undefined) {
          opts.warn?.('wal: repairing torn tail', { path: t.path, offset: t.end, 'discarded-bytes': t.sizeBytes - t.end, reason: t.torn });
          // Zero everything after the last good record: later cuts must not find the
          // torn bytes behind new data. Keeps the preallocated size.
          await fh.truncate(t.end);
        }
        if (t.torn !== undefined || t.sizeBytes < segmentBytes) await fh.truncate(Math.max(t.sizeBytes, segmentBytes));
        await fh.sync();
      } catch (err) {
        await fh.close();
        throw err;
      }
      const tail: TailState = { fh, seq: t.segment.seq, offset: t.end, crc: t.crc, lastIndex: read.lastIndex, hardState: read.contents.hardState };
      return new WAL(dir, read.contents.metadata, lock, segmentBytes, tail, segs, read.contents);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /** What open() read: the metadata, newest hard state, and entries after the snapshot. Once. */
  async readAll(): Promise<WalContents> {
    const c = this.opened;
    if (c === undefined) throw new Error('wal: readAll is only available once, after open');
    this.opened = undefined;
    return c;
  }

  /**
   * Persists one Ready: `entries` (in order) then `hardState`. Resolves once they are
   * fdatasync'ed. Saves made while another is being written share its successor's write
   * and fdatasync. Entries may rewrite earlier indexes (raft overwriting a conflicting
   * uncommitted tail); readAll() then keeps the newer ones.
   *
   * mustSync false (raft's MustSync: no entries, and term and vote unchanged, so only the
   * commit index moved) writes the record without waiting for an fdatasync of its own: a
   * commit index can be re-learned after a crash, and the next synced batch covers it.
   */
  save(hardState: HardState | undefined, entries: Entry[], mustSync = true): Promise<void> {
    for (const e of entries) {
      if (ENTRY_FIXED_BYTES + e.data.length > MAX_RECORD_PAYLOAD_BYTES) {
        return Promise.reject(new Error(`wal: max entry size limit exceeded (entry ${e.index} has ${e.data.length} bytes)`));
      }
    }
    if (!mustSync && entries.length === 0 && hardState !== undefined && this.pending.length === 0 && !this.failed && !this.closed) {
      // Only the commit index moved: keep the record for the next write (see deferredState).
      this.deferredState = hardState;
      return RESOLVED;
    }
    return this.enqueue((resolve, reject) => ({ kind: 'save', hardState, entries, mustSync: mustSync || entries.length > 0, resolve, reject }));
  }

  /** Records (and fdatasyncs) that a raft snapshot at `mark` was saved; open() can start from it. */
  saveSnapshot(mark: WalSnapshotMark): Promise<void> {
    return this.enqueue((resolve, reject) => ({ kind: 'snapshot', mark, resolve, reject }));
  }

  /**
   * Marks segments no longer needed once everything up to `index` is in a snapshot:
   * every segment before the newest one whose name index is below `index`. (That one may
   * still hold entries after `index`, so it stays.) Example: holding segments starting at
   * 1, 2, 3, 4, 5, 6, releaseLockTo(4) releases 1 and 2 and keeps 3.
   */
  releaseLockTo(index: number): void {
    let keepFrom = this.locked.length - 1;
    for (let i = 0; i < this.locked.length; i++) {
      if (this.locked[i]!.index >= index) {
        keepFrom = i - 1;
        break;
      }
    }
    if (keepFrom <= 0) return;
    this.locked = this.locked.slice(keepFrom);
  }

  /**
   * Deletes the oldest segments while more than `maxWals` remain, stopping at the first
   * one still held (see releaseLockTo). 0 means unlimited (etcd's --max-wals=0). Returns
   * the deleted paths.
   */
  async purge(maxWals: number): Promise<string[]> {
    if (maxWals <= 0) return [];
    const segs = await listSegments(this.dir);
    const held = new Set(this.locked.map((s) => s.name));
    const removed: string[] = [];
    for (const s of segs) {
      if (segs.length - removed.length <= maxWals || held.has(s.name)) break;
      const path = join(this.dir, s.name);
      await unlink(path);
      removed.push(path);
    }
    if (removed.length > 0) await fsyncDir(this.dir);
    return removed;
  }

  /** Counts since open: fdatasyncs of saves (one per coalesced write) and bytes they wrote. */
  stats(): { fsyncs: number; bytesWritten: number } {
    return { ...this.counters };
  }

  /** Waits for queued saves, then closes the segment and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flushing;
    this.opened = undefined;
    try {
      if (this.deferredState !== undefined && !this.failed) await this.writeBatch([]);
      await this.fh.close();
    } finally {
      this.lock.release();
    }
  }

  private enqueue(make: (resolve: () => void, reject: (e: Error) => void) => Op): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.closed) return Promise.reject(new Error('wal: closed'));
    if (this.pending.length >= MAX_PENDING_SAVES) return Promise.reject(new Error(`wal: more than ${MAX_PENDING_SAVES} saves pending`));
    const p = new Promise<void>((resolve, reject) => this.pending.push(make(resolve, reject)));
    this.flushing ??= this.flush();
    return p;
  }

  /**
   * Writes pending saves, a batch per write + fdatasync, until none is left. Called from
   * enqueue(): the first batch is written, and a thread-pool fdatasync of it started,
   * before the caller's save() returns, so the disk works while the caller goes on (the
   * raft loop applies and answers the previous Ready's entries meanwhile). Saves the
   * caller makes after that share the next write.
   */
  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_SAVES_PER_WRITE);
      try {
        if (this.failed) throw this.failed;
        await this.writeBatch(batch);
      } catch (err) {
        this.failed ??= err instanceof Error ? err : new Error(String(err));
        for (const op of batch) op.reject(this.failed);
        continue;
      }
      for (const op of batch) op.resolve();
    }
    this.flushing = undefined;
  }

  private async writeBatch(ops: Op[]): Promise<void> {
    const deferred = this.deferredState;
    this.deferredState = undefined;
    // The deferred commit-only state was saved before every op of this batch: it goes first.
    const batch: Op[] = deferred === undefined ? ops : [{ kind: 'save', hardState: deferred, entries: [], mustSync: ops.length === 0, resolve: noop, reject: noop }, ...ops];
    let size = 0;
    let sync = false;
    let batchEntries = 0;
    for (const op of batch) {
      if (op.kind === 'snapshot') {
        size += SNAPSHOT_FRAME_BYTES;
        sync = true;
      } else {
        if (op.mustSync) sync = true;
        batchEntries += op.entries.length;
        for (const e of op.entries) size += entryFrameSize(e);
        if (op.hardState) size += STATE_FRAME_BYTES;
      }
    }
    if (size === 0) return;
    // The first save after open no longer needs what open read.
    this.opened = undefined;
    const buf = Buffer.allocUnsafe(size);
    const w = new FrameWriter(buf, this.crc);
    let lastIndex = this.lastIndex;
    let hardState = this.hardState;
    for (const op of batch) {
      if (op.kind === 'snapshot') {
        w.snapshot(op.mark);
        lastIndex = Math.max(lastIndex, op.mark.index);
        continue;
      }
      for (const e of op.entries) w.entry(e);
      if (op.hardState) w.state(op.hardState);
      if (op.entries.length > 0) lastIndex = op.entries[op.entries.length - 1]!.index;
      if (op.hardState) hardState = op.hardState;
    }
    // A synchronous pwrite: it only copies into the page cache (a few KiB per batch), and
    // saves a thread-pool round trip before the fdatasync, which stays asynchronous.
    writeAllSync(this.fh.fd, buf, this.offset);
    if (sync) {
      const onLoop = this.fsyncPlacement.onLoop(batchEntries, this.pending.length > 0 || this.busyProbe());
      // A first batch is written from inside save(): an fdatasync that blocks the loop waits
      // until the caller's synchronous stretch is done, so it holds up nothing the caller
      // does after save(); one in the thread pool starts now and overlaps that stretch.
      if (onLoop) await Promise.resolve();
      const syncStart = performance.now();
      if (onLoop) fdatasyncSync(this.fh.fd);
      else await this.fh.datasync();
      const syncMs = performance.now() - syncStart;
      this.fsyncPlacement.record(syncMs, onLoop);
      if (putTrace.TRACE) putTrace.walFsync(syncMs, onLoop, batch.length);
      walFsyncSeconds.observe(syncMs / 1000);
      this.counters.fsyncs++;
    }
    walWriteBytes.inc(size);
    this.counters.bytesWritten += size;
    this.offset += size;
    this.crc = w.crc;
    this.lastIndex = lastIndex;
    this.hardState = hardState;
    if (this.offset >= this.segmentBytes) await this.cut();
  }

  /**
   * The member's view of other pending work (proposals, reads): while it answers true, an
   * fdatasync never runs on the event loop's thread (see FsyncPlacement).
   */
  setBusyProbe(probe: () => boolean): void {
    this.busyProbe = probe;
  }

  /** Finishes the last segment and starts the next; runs inside flush(). */
  private async cut(): Promise<void> {
    // Drop the old segment's unused preallocation: only the last segment ends in zeros.
    await this.fh.truncate(this.offset);
    await this.fh.sync();
    const next: SegmentName = { name: segmentName(this.seq + 1, this.lastIndex + 1), seq: this.seq + 1, index: this.lastIndex + 1 };
    const head = Buffer.allocUnsafe(CRC_FRAME_BYTES + frameSize(this.metadata.length) + (this.hardState ? STATE_FRAME_BYTES : 0));
    const w = new FrameWriter(head, 0);
    w.crcRecord(this.crc);
    w.metadata(this.metadata);
    if (this.hardState) w.state(this.hardState);
    const tmpPath = join(this.dir, `${next.name}.tmp`);
    const fh = await open(tmpPath, 'w+', 0o600);
    try {
      await fh.truncate(Math.max(this.segmentBytes, head.length));
      await writeAll(fh, head, 0);
      await fh.sync();
      await rename(tmpPath, join(this.dir, next.name));
      await fsyncDir(this.dir);
    } catch (err) {
      await fh.close();
      throw err;
    }
    await this.fh.close();
    this.fh = fh;
    this.seq = next.seq;
    this.offset = head.length;
    this.crc = w.crc;
    this.locked.push(next);
  }
}

const RESOLVED: Promise<void> = Promise.resolve();

function noop(): void {}

/** pwrite until every byte is written, on the calling thread. */
function writeAllSync(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

/** pwrite until every byte is written. */
async function writeAll(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}

/** Removes segments a crashed cut left half made; they were never renamed into use. */
async function removeTmpSegments(dir: string): Promise<void> {
  for (const n of await readdir(dir)) {
    if (n.endsWith(SEGMENT_TMP_SUFFIX)) await unlink(join(dir, n));
  }
}
