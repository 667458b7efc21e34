// Decodes the frames of one segment and tells a torn tail from corruption.
//
// A torn tail is a save that a crash cut short: it was never fdatasync'ed, so save()
// never resolved and nobody was told it was durable; discarding it is safe. Corruption is
// damage to bytes that were durable; the member must stop rather than forget them.
//
// How they are told apart (only the last segment can be torn; every earlier one was
// fsynced and truncated to its data before the next was created):
// - a frame header of twelve zero bytes ends the data. Preallocated space is zero, so
//   this is the normal end. In the last segment, non-zero bytes after it are the later
//   sectors of a save whose first sector never reached the disk: torn.
// - a bad frame (impossible header, wrong padding, CRC mismatch, runs past the end of
//   the file) in the last segment is torn when nothing but zeros follows it (kill -9
//   stops a write part way: its unwritten rest is still the preallocated zeros), or when
//   an aligned 512-byte sector overlapping it is entirely zero (after a power loss the
//   disk may have written later sectors of the save but not that one).
// - anything else is corruption: WalCorruptionError, `wal: crc mismatch`, file, offset.

import { FRAME_HEADER_BYTES, MAX_RECORD_PAYLOAD_BYTES, RecordType, frameCrc, frameSize, payloadLengthValid } from './record-format.js';
import { WalCorruptionError } from './errors.js';

/** Disk sector size: the unit a power loss keeps or loses whole. */
export const SECTOR_BYTES = 512;
const ZERO_CHUNK = Buffer.alloc(64 * 1024);

export interface Frame {
  type: RecordType;
  /** A view into the segment buffer; copy what must outlive it. */
  payload: Buffer;
  /** Byte offset of the frame in its segment. */
  offset: number;
}

export interface SegmentScan {
  frames: Frame[];
  /** Offset just past the last good frame: where the next write goes. */
  end: number;
  /** Running CRC after the last good frame. */
  crc: number;
  /** Set when the tail was torn: why, and that bytes from `end` on must be discarded. */
  torn: string | undefined;
}

/** True when buf[from, to) is all zero bytes. Compares natively, a chunk at a time. */
export function allZero(buf: Buffer, from: number, to: number): boolean {
  for (let p = from; p < to; p += ZERO_CHUNK.length) {
    const n = Math.min(ZERO_CHUNK.length, to - p);
    if (!buf.subarray(p, p + n).equals(ZERO_CHUNK.subarray(0, n))) return false;
  }
  return true;
}

/** True when an aligned sector overlapping [from, to) lies inside the file and is all zero. */
function overlapsZeroSector(buf: Buffer, from: number, to: number): boolean {
  for (let s = Math.floor(from / SECTOR_BYTES) * SECTOR_BYTES; s < to; s += SECTOR_BYTES) {
    if (s + SECTOR_BYTES <= buf.length && allZero(buf, s, s + SECTOR_BYTES)) return true;
  }
  return false;
}

/**
 * Scans a whole segment. The first frame must be a CRC frame; it re-seeds the chain with
 * the value it carries, which must equal `expectCrc` when given (the previous segment's
 * final CRC). `isLast` allows a torn tail, which is reported rather than thrown.
 */
export function scanSegment(file: string, buf: Buffer, expectCrc: number | undefined, isLast: boolean): SegmentScan {
  const frames: Frame[] = [];
  let off = 0;
  let crc = 0;
  const bad = (detail: string, frameEnd: number): SegmentScan => {
    const end = Math.min(frameEnd, buf.length);
    if (isLast && (allZero(buf, end, buf.length) || overlapsZeroSector(buf, off, end))) {
      return { frames, end: off, crc, torn: detail };
    }
    throw new WalCorruptionError(file, off, detail);
  };
  while (off + FRAME_HEADER_BYTES <= buf.length) {
    const stored = buf.readUInt32LE(off);
    const len = buf.readUInt32LE(off + 4);
    const type = buf[off + 8]!;
    if (type === 0 && len === 0 && stored === 0 && buf.readUInt32LE(off + 8) === 0) {
      if (allZero(buf, off, buf.length)) break;
      if (isLast) return { frames, end: off, crc, torn: 'non-zero bytes after the end of the data' };
      throw new WalCorruptionError(file, off, 'non-zero bytes after the end of the data');
    }
    if (type < RecordType.Metadata || type > RecordType.Snapshot || len > MAX_RECORD_PAYLOAD_BYTES || !payloadLengthValid(type, len)) {
      return bad(`bad frame header (type ${type}, length ${len})`, off + FRAME_HEADER_BYTES);
    }
    const total = frameSize(len);
    if (off + total > buf.length) return bad('frame runs past the end of the file', buf.length);
    if (buf[off + 9] !== total - FRAME_HEADER_BYTES - len || buf[off + 10] !== 0 || buf[off + 11] !== 0) {
      return bad('bad frame header padding', off + total);
    }
    if (frames.length === 0) {
      if (type !== RecordType.Crc) return bad(`segment starts with record type ${type}, not a crc record`, off + total);
      const carried = buf.readUInt32LE(off + FRAME_HEADER_BYTES);
      if (expectCrc !== undefined && carried !== expectCrc) {
        // The chain between segments is broken; the head was fsynced before the rename
        // that made the segment visible, so this is never a torn write.
        throw new WalCorruptionError(file, off, `segment carries crc ${hex(carried)}, previous segment ended with ${hex(expectCrc)}`);
      }
      crc = carried;
    } else if (type === RecordType.Crc) {
      return bad('crc record in the middle of a segment', off + total);
    }
    const expect = frameCrc(buf, off, len, crc);
    if (expect !== stored) return bad(`frame crc ${hex(stored)}, computed ${hex(expect)}`, off + total);
    if (!allZero(buf, off + FRAME_HEADER_BYTES + len, off + total)) return bad('non-zero frame padding', off + total);
    crc = expect;
    frames.push({ type: type as RecordType, payload: buf.subarray(off + FRAME_HEADER_BYTES, off + FRAME_HEADER_BYTES + len), offset: off });
    off += total;
  }
  if (frames.length === 0) {
    // Segments become visible by rename only after their head is fsynced, so even the
    // last one always has at least its CRC frame.
    throw new WalCorruptionError(file, 0, 'segment has no valid head');
  }
  if (off < buf.length && !allZero(buf, off, buf.length)) {
    // Fewer than a header's worth of bytes after the last frame.
    if (isLast) return { frames, end: off, crc, torn: 'partial frame header at the end of the file' };
    throw new WalCorruptionError(file, off, 'partial frame header at the end of the file');
  }
  return { frames, end: off, crc, torn: undefined };
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
