// The write-ahead log: raft's hard state and entries, appended and fsynced before any
// of them is acknowledged or acted on. See record-format.ts for the bytes.
//
// Invariants:
// - save() resolves only after its frames are written and fdatasync'ed.
// - saves are serialized: a save starts after the previous one finished, so one Ready's
//   records are never interleaved with another's.
// - Only the last segment is ever written; earlier ones are immutable.

import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, fsyncSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join, dirname, basename } from 'node:path';
import type { Entry, HardState } from '../raft/types.js';
import {
  FrameEncoder,
  RecordType,
  decodeEntry,
  decodeHardState,
  decodeSnapshotMark,
  encodeCrc,
  encodeEntry,
  encodeHardState,
  encodeSnapshotMark,
  parseSegmentName,
  segmentName,
  type WalSnapshotMark,
} from './record-format.js';
import { scanSegment, WalCorruptionError } from './segment-reader.js';

/** Segment size; a segment is cut once a save takes it past this. Tests override it. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const LOCK_FILE = 'LOCK';

export interface WalOptions {
  segmentBytes?: number;
  /** Told about repaired torn tails; the member logs them. */
  warn?: (msg: string, fields: Record<string, unknown>) => void;
}

export interface WalContents {
  metadata: Uint8Array;
  hardState: HardState | undefined;
  /** Entries after the snapshot index, with later writes of an index replacing earlier ones. */
  entries: Entry[];
  /** The newest snapshot mark seen. */
  snapshot: WalSnapshotMark | undefined;
}

export class WalLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(`wal: ${dir} is locked by process ${pid}`);
    this.name = 'WalLockedError';
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A pid lock file: a crashed holder leaves a stale file, recognised because its pid is gone. */
function acquireLock(dir: string): void {
  const path = join(dir, LOCK_FILE);
  if (existsSync(path)) {
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) throw new WalLockedError(dir, pid);
  }
  writeFileSync(path, `${process.pid}\n`);
}

function listSegments(dir: string): { name: string; seq: number; index: number }[] {
  return readdirSync(dir)
    .map((name) => ({ name, parsed: parseSegmentName(name) }))
    .filter((x): x is { name: string; parsed: { seq: number; index: number } } => x.parsed !== undefined)
    .map((x) => ({ name: x.name, ...x.parsed }))
    .sort((a, b) => a.seq - b.seq);
}

export class WAL {
  private fh: FileHandle;
  private offset: number;
  private crc: number;
  private seq: number;
  private lastIndex: number;
  private hardState: HardState | undefined;
  private tail: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly segmentBytes: number;

  private constructor(
    readonly dir: string,
    private readonly metadata: Uint8Array,
    fh: FileHandle,
    state: { offset: number; crc: number; seq: number; lastIndex: number; hardState: HardState | undefined },
    opts: WalOptions,
  ) {
    this.fh = fh;
    this.offset = state.offset;
    this.crc = state.crc;
    this.seq = state.seq;
    this.lastIndex = state.lastIndex;
    this.hardState = state.hardState;
    this.segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  }

  static exists(dir: string): boolean {
    return existsSync(dir) && listSegments(dir).length > 0;
  }

  /**
   * Creates a WAL holding `metadata`. Built in a sibling temporary directory and renamed
   * into place, so a crash mid-create leaves either no WAL or a complete one.
   */
  static async create(dir: string, metadata: Uint8Array, opts: WalOptions = {}): Promise<WAL> {
    if (WAL.exists(dir)) throw new Error(`wal: ${dir} already exists`);
    const tmp = join(dirname(dir), `${basename(dir)}.tmp`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true, mode: 0o700 });
    const segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    const enc = new FrameEncoder(0);
    enc.add(RecordType.Crc, encodeCrc(0));
    enc.add(RecordType.Metadata, Buffer.from(metadata));
    enc.add(RecordType.Snapshot, encodeSnapshotMark({ index: 0, term: 0 }));
    const head = enc.finish();
    const path = join(tmp, segmentName(0, 0));
    const fh = await open(path, 'w+');
    await fh.truncate(Math.max(segmentBytes, head.length));
    await fh.write(head, 0, head.length, 0);
    await fh.sync();
    await fh.close();
    fsyncDir(tmp);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    fsyncDir(dirname(dir));
    const w = await WAL.open(dir, opts);
    return w.wal;
  }

  /**
   * Opens an existing WAL, verifies every frame, repairs a torn tail in the last
   * segment, and returns its contents. Throws WalCorruptionError (`wal: crc mismatch`,
   * naming file and offset) for damage anywhere else.
   */
  static async open(dir: string, opts: WalOptions = {}): Promise<{ wal: WAL; contents: WalContents }> {
    const segments = listSegments(dir);
    if (segments.length === 0) throw new Error(`wal: no segment files in ${dir}`);
    acquireLock(dir);
    let crc = 0;
    let metadata: Uint8Array | undefined;
    let hardState: HardState | undefined;
    let snapshot: WalSnapshotMark | undefined;
    let entries: Entry[] = [];
    let end = 0;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      const path = join(dir, seg.name);
      const buf = readFileSync(path);
      const isLast = i === segments.length - 1;
      const scan = scanSegment(path, buf, crc, isLast);
      const first = scan.frames[0];
      if (i > 0 && (!first || first.type !== RecordType.Crc || first.payload.readUInt32LE(0) !== crc)) {
        throw new WalCorruptionError(path, 0, 'segment does not continue the previous segment checksum');
      }
      for (const f of scan.frames) {
        switch (f.type) {
          case RecordType.Metadata:
            if (metadata && Buffer.compare(Buffer.from(metadata), f.payload) !== 0) {
              throw new WalCorruptionError(path, f.offset, 'metadata differs between segments');
            }
            metadata = Uint8Array.prototype.slice.call(f.payload);
            break;
          case RecordType.Entry: {
            const e = decodeEntry(f.payload);
            const base = snapshot?.index ?? 0;
            if (e.index <= base) break;
            // A rewritten index replaces the old suffix (raft overwrote a conflicting tail).
            const pos = e.index - base - 1;
            if (pos < entries.length) entries = entries.slice(0, pos);
            if (pos !== entries.length) throw new WalCorruptionError(path, f.offset, `entry index ${e.index} leaves a gap`);
            entries.push(e);
            break;
          }
          case RecordType.State:
            hardState = decodeHardState(f.payload);
            break;
          case RecordType.Snapshot: {
            const mark = decodeSnapshotMark(f.payload);
            if (!snapshot || mark.index >= snapshot.index) {
              snapshot = mark;
              entries = entries.filter((e) => e.index > mark.index);
            }
            break;
          }
          case RecordType.Crc:
            break;
        }
      }
      crc = scan.crc;
      end = scan.end;
      if (scan.torn) {
        opts.warn?.('repairing a torn WAL tail', { file: path, offset: scan.end, discardedBytes: buf.length - scan.end });
        const fh = await open(path, 'r+');
        // Zero from the last good frame on, keeping the preallocated size.
        await fh.truncate(scan.end);
        await fh.truncate(Math.max(buf.length, scan.end));
        await fh.sync();
        await fh.close();
      }
    }
    if (!metadata) throw new WalCorruptionError(join(dir, segments[0]!.name), 0, 'no metadata frame');
    const last = segments[segments.length - 1]!;
    const fh = await open(join(dir, last.name), 'r+');
    const lastIndex = entries.length > 0 ? entries[entries.length - 1]!.index : (snapshot?.index ?? 0);
    const wal = new WAL(dir, metadata, fh, { offset: end, crc, seq: last.seq, lastIndex, hardState }, opts);
    return { wal, contents: { metadata, hardState, entries, snapshot } };
  }

  /** Persists a Ready's hard state and entries; resolves once they are durable. */
  save(hardState: HardState | undefined, entries: Entry[]): Promise<void> {
    if (!hardState && entries.length === 0) return this.tail;
    return this.enqueue(async () => {
      const enc = new FrameEncoder(this.crc);
      for (const e of entries) enc.add(RecordType.Entry, encodeEntry(e));
      if (hardState) enc.add(RecordType.State, encodeHardState(hardState));
      await this.append(enc);
      if (entries.length > 0) this.lastIndex = entries[entries.length - 1]!.index;
      if (hardState) this.hardState = hardState;
      if (this.offset >= this.segmentBytes) await this.cut();
    });
  }

  /** Records that a raft snapshot covers everything up to `mark.index`. */
  saveSnapshot(mark: WalSnapshotMark): Promise<void> {
    return this.enqueue(async () => {
      const enc = new FrameEncoder(this.crc);
      enc.add(RecordType.Snapshot, encodeSnapshotMark(mark));
      await this.append(enc);
    });
  }

  /**
   * Runs `job` after every earlier one. Encoding happens inside the job, so offsets and
   * the checksum chain always continue from the state the previous job left (a segment
   * cut included). A failed job poisons the chain: the member must stop.
   */
  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.tail.then(() => {
      if (this.closed) throw new Error('wal: closed');
      return job();
    });
    this.tail = run;
    return run;
  }

  /** Writes the encoded frames at the end of the current segment and fdatasyncs. */
  private async append(enc: FrameEncoder): Promise<void> {
    const buf = enc.finish();
    await this.fh.write(buf, 0, buf.length, this.offset);
    await this.fh.datasync();
    this.offset += buf.length;
    this.crc = enc.crc;
  }

  /** Starts a new segment; runs inside the save chain, after the old one is synced. */
  private async cut(): Promise<void> {
    const seq = this.seq + 1;
    const name = segmentName(seq, this.lastIndex + 1);
    const enc = new FrameEncoder(this.crc);
    enc.add(RecordType.Crc, encodeCrc(this.crc));
    enc.add(RecordType.Metadata, Buffer.from(this.metadata));
    if (this.hardState) enc.add(RecordType.State, encodeHardState(this.hardState));
    const head = enc.finish();
    const tmpPath = join(this.dir, `${name}.tmp`);
    const fh = await open(tmpPath, 'w+');
    await fh.truncate(Math.max(this.segmentBytes, head.length));
    await fh.write(head, 0, head.length, 0);
    await fh.sync();
    renameSync(tmpPath, join(this.dir, name));
    fsyncDir(this.dir);
    await this.fh.close();
    this.fh = fh;
    this.seq = seq;
    this.offset = head.length;
    this.crc = enc.crc;
  }

  async close(): Promise<void> {
    await this.tail.catch(() => undefined);
    this.closed = true;
    await this.fh.close();
    rmSync(join(this.dir, LOCK_FILE), { force: true });
  }
}
