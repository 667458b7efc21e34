// Decodes the frames of one segment and tells a torn tail (a write cut short by a crash:
// safe to discard, it was never acknowledged) from corruption (bytes that were fsynced
// and later damaged: the member must stop).

import { FRAME_HEADER_BYTES, MAX_RECORD_PAYLOAD_BYTES, RecordType, frameCrc, frameSize } from './record-format.js';

/** Disk sector size: a torn write leaves whole sectors unwritten (zero in a preallocated file). */
const SECTOR_BYTES = 512;

export class WalCorruptionError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    detail: string,
  ) {
    super(`wal: crc mismatch: ${detail} in ${file} at offset ${offset}`);
    this.name = 'WalCorruptionError';
  }
}

export interface Frame {
  type: RecordType;
  payload: Buffer;
  offset: number;
}

export interface SegmentScan {
  frames: Frame[];
  /** Offset just past the last good frame. */
  end: number;
  /** Running CRC after the last good frame. */
  crc: number;
  /** True when bytes after `end` were not all zero: a torn write to discard. */
  torn: boolean;
}

function allZero(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

/** True when some whole sector inside [from, to) is zero: the signature of a write cut short. */
function hasZeroSector(buf: Buffer, from: number, to: number): boolean {
  const first = Math.ceil(from / SECTOR_BYTES) * SECTOR_BYTES;
  for (let s = first; s + SECTOR_BYTES <= to; s += SECTOR_BYTES) {
    if (allZero(buf, s, s + SECTOR_BYTES)) return true;
  }
  return false;
}

/**
 * Scans `buf` (a whole segment) from offset 0 with the chain seeded by `startCrc`
 * (a segment's leading CRC frame re-seeds it). When `isLast` is false, any bad frame is
 * corruption. In the last segment, a bad frame is a torn tail when it is where writing
 * stopped: everything after it is zero, or the frame itself contains an unwritten sector.
 */
export function scanSegment(file: string, buf: Buffer, startCrc: number, isLast: boolean): SegmentScan {
  const frames: Frame[] = [];
  let off = 0;
  let crc = startCrc;
  const fail = (detail: string, frameEnd: number): SegmentScan => {
    const tornHere = isLast && (allZero(buf, Math.min(frameEnd, buf.length), buf.length) || hasZeroSector(buf, off, Math.min(frameEnd, buf.length)));
    if (!tornHere) throw new WalCorruptionError(file, off, detail);
    return { frames, end: off, crc, torn: true };
  };
  while (off + FRAME_HEADER_BYTES <= buf.length) {
    const len = buf.readUInt32LE(off);
    const type = buf[off + 4]!;
    if (len === 0 && type === 0 && allZero(buf, off, off + FRAME_HEADER_BYTES)) {
      // End of written data. Anything non-zero after it is a torn or damaged write.
      if (allZero(buf, off, buf.length)) return { frames, end: off, crc, torn: false };
      return fail('non-zero bytes after the end of the log', buf.length);
    }
    if (type < RecordType.Metadata || type > RecordType.Snapshot || len > MAX_RECORD_PAYLOAD_BYTES) {
      return fail(`bad frame header (type ${type}, length ${len})`, off + FRAME_HEADER_BYTES);
    }
    const total = frameSize(len);
    if (off + total > buf.length) return fail('frame runs past the end of the file', buf.length);
    const payload = buf.subarray(off + FRAME_HEADER_BYTES, off + FRAME_HEADER_BYTES + len);
    const stored = buf.readUInt32LE(off + 8);
    if (type === RecordType.Crc) {
      // A segment's leading CRC frame carries the chain value to continue from.
      const carried = payload.readUInt32LE(0);
      if (frames.length === 0) crc = carried;
      else if (carried !== crc) return fail('crc frame does not match the running checksum', off + total);
    }
    const expect = frameCrc(type as RecordType, payload, crc);
    if (expect !== stored) return fail(`checksum ${stored.toString(16)} != ${expect.toString(16)}`, off + total);
    crc = expect;
    frames.push({ type: type as RecordType, payload, offset: off });
    off += total;
  }
  return { frames, end: off, crc, torn: false };
}
