// Reads a run of segments back into what raft needs on restart: the member's metadata,
// the newest hard state, and the entries after a snapshot, with raft's overwrites
// applied. Verifies the whole chain; reports (does not repair) a torn tail.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Entry, HardState } from '../raft/types.js';
import { RecordType, decodeEntry, decodeHardState, decodeSnapshotMark, entryIndex, type WalSnapshotMark } from './record-format.js';
import { scanSegment } from './segment-reader.js';
import type { SegmentName } from './segment-files.js';
import { WalCorruptionError, WalGapError, WalMetadataConflictError, WalSnapshotMismatchError, WalSnapshotNotFoundError } from './errors.js';

export interface WalContents {
  /** The bytes given to WAL.create (the member's identity). */
  metadata: Uint8Array;
  /** The newest hard state saved, or undefined if none ever was. */
  hardState: HardState | undefined;
  /**
   * Entries with index > the snapshot's index, contiguous and ascending. Where raft
   * rewrote an index (a new leader overwrote an uncommitted tail), the later write wins
   * and everything after the old copy is dropped with it.
   */
  entries: Entry[];
}

export interface LogTail {
  /** The last segment read: the one writing continues in. */
  segment: SegmentName;
  path: string;
  /** Its size on disk. */
  sizeBytes: number;
  /** Offset just past its last good frame. */
  end: number;
  /** Running CRC at `end`. */
  crc: number;
  /** Why the bytes after `end` are a torn write to discard, when they are. */
  torn: string | undefined;
}

export interface LogRead {
  contents: WalContents;
  tail: LogTail;
  /** Index of the last entry record read (before overwrites are resolved), or the snapshot index. */
  lastIndex: number;
}

/**
 * Reads `segs` (a contiguous run, oldest first, starting at the segment that holds the
 * snapshot record `from`) and checks that the record exists with the same term.
 */
export async function readLog(dir: string, segs: SegmentName[], from: WalSnapshotMark): Promise<LogRead> {
  let metadata: Uint8Array | undefined;
  let hardState: HardState | undefined;
  const entries: Entry[] = [];
  let lastIndex = from.index;
  let snapshotFound = false;
  let crc: number | undefined;
  let tail: LogTail | undefined;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const path = join(dir, seg.name);
    const buf = await readFile(path);
    const isLast = i === segs.length - 1;
    const scan = scanSegment(path, buf, crc, isLast);
    for (const f of scan.frames) {
      switch (f.type) {
        case RecordType.Metadata:
          if (metadata !== undefined && !Buffer.from(metadata.buffer, metadata.byteOffset, metadata.byteLength).equals(f.payload)) {
            throw new WalMetadataConflictError(path, f.offset);
          }
          metadata ??= new Uint8Array(f.payload);
          break;
        case RecordType.Entry: {
          const index = entryIndex(f.payload);
          lastIndex = index;
          if (index <= from.index) break;
          const pos = index - from.index - 1;
          if (pos > entries.length) throw new WalGapError(path, f.offset, index, from.index + entries.length + 1);
          entries.length = pos; // drops the overwritten suffix, if any
          entries.push(decodeEntry(f.payload));
          break;
        }
        case RecordType.State:
          hardState = decodeHardState(f.payload);
          break;
        case RecordType.Snapshot: {
          const mark = decodeSnapshotMark(f.payload);
          if (mark.index === from.index) {
            if (mark.term !== from.term) throw new WalSnapshotMismatchError(from.index, from.term, mark.term);
            snapshotFound = true;
          }
          if (mark.index > lastIndex) lastIndex = mark.index;
          break;
        }
        case RecordType.Crc:
          break; // checked by scanSegment
      }
    }
    crc = scan.crc;
    if (isLast) tail = { segment: seg, path, sizeBytes: buf.length, end: scan.end, crc: scan.crc, torn: scan.torn };
  }
  if (tail === undefined) throw new Error('wal: readLog needs at least one segment');
  if (metadata === undefined) throw new WalCorruptionError(join(dir, segs[0]!.name), 0, 'no metadata record');
  if (!snapshotFound) throw new WalSnapshotNotFoundError(from.index, from.term);
  return { contents: { metadata, hardState, entries }, tail, lastIndex };
}
