// The bytes of one WAL frame and of each record payload. The full specification, with a
// worked example, is in ./README.md; test/wal/fixtures holds golden bytes that pin it.
//
// Frame (all integers little endian):
//
//   offset  size  field
//   0       4     CRC-32C (Castagnoli) of bytes [4, 12 + N) of this frame, seeded with the
//                 previous frame's CRC, so the checksum chains through the whole log
//   4       4     payload length N (uint32)
//   8       1     record type (1..5; never 0, so a zero header marks the end of the data)
//   9       1     padding P (0..7) after the payload, so that 12 + N + P is a multiple of 8
//   10      2     reserved, zero
//   12      N     payload
//   12+N    P     zero padding (not covered by the CRC; the reader requires it to be zero)
//
// Encoding is done in place into one Buffer per save: callers add up frameSize() of every
// record first, then a FrameWriter fills the buffer front to back.

import { crc32c } from '@node-rs/crc32';
import type { Entry, HardState } from '../raft/types.js';

export enum RecordType {
  /** Opaque bytes chosen by the member (its member and cluster ids); at the head of every segment. */
  Metadata = 1,
  /** One raft log entry. */
  Entry = 2,
  /** The raft hard state (term, vote, commit). */
  State = 3,
  /** First frame of every segment: the running CRC at the end of the previous segment. */
  Crc = 4,
  /** A raft snapshot was taken at (index, term); the log before it may be purged. */
  Snapshot = 5,
}

export const FRAME_HEADER_BYTES = 12;
export const FRAME_ALIGN_BYTES = 8;
/** Largest payload one frame may carry; a larger length in a header means damage. */
export const MAX_RECORD_PAYLOAD_BYTES = 64 * 1024 * 1024;

/** ENTRY payload: term u64, index u64, entry type u8, then the entry's data. */
export const ENTRY_FIXED_BYTES = 17;
/** STATE payload: term u64, vote u64, commit u64. */
export const STATE_PAYLOAD_BYTES = 24;
/** CRC payload: the carried running CRC, u32. */
export const CRC_PAYLOAD_BYTES = 4;
/** SNAPSHOT payload: index u64, term u64. */
export const SNAPSHOT_PAYLOAD_BYTES = 16;

/** Where a raft snapshot was taken, as the WAL records it. */
export interface WalSnapshotMark {
  index: number;
  term: number;
}

/** Bytes a frame with an N-byte payload takes on disk, padding included. */
export function frameSize(payloadBytes: number): number {
  const raw = FRAME_HEADER_BYTES + payloadBytes;
  return raw + ((FRAME_ALIGN_BYTES - (raw % FRAME_ALIGN_BYTES)) % FRAME_ALIGN_BYTES);
}

export function entryFrameSize(e: Entry): number {
  return frameSize(ENTRY_FIXED_BYTES + e.data.length);
}

export const STATE_FRAME_BYTES = frameSize(STATE_PAYLOAD_BYTES);
export const CRC_FRAME_BYTES = frameSize(CRC_PAYLOAD_BYTES);
export const SNAPSHOT_FRAME_BYTES = frameSize(SNAPSHOT_PAYLOAD_BYTES);

const TWO_32 = 2 ** 32;

/** Writes a non-negative safe integer as u64 without going through BigInt. */
function writeU64(buf: Buffer, value: number, offset: number): void {
  buf.writeUInt32LE(value % TWO_32, offset);
  buf.writeUInt32LE(Math.floor(value / TWO_32), offset + 4);
}

function readU64(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset + 4) * TWO_32 + buf.readUInt32LE(offset);
}

/** The chained CRC of the frame at `off` whose payload is `len` bytes. */
export function frameCrc(buf: Buffer, off: number, len: number, prevCrc: number): number {
  return crc32c(buf.subarray(off + 4, off + FRAME_HEADER_BYTES + len), prevCrc);
}

/**
 * Fills a pre-sized buffer (Buffer.allocUnsafe is fine: every byte of a frame, padding
 * included, is written) with frames. `crc` is the running checksum after the last frame
 * written; `offset` the next free byte.
 */
export class FrameWriter {
  offset = 0;

  constructor(
    readonly buf: Buffer,
    public crc: number,
  ) {}

  entry(e: Entry): void {
    const p = this.open(RecordType.Entry, ENTRY_FIXED_BYTES + e.data.length);
    writeU64(this.buf, e.term, p);
    writeU64(this.buf, e.index, p + 8);
    this.buf[p + 16] = e.type;
    this.buf.set(e.data, p + ENTRY_FIXED_BYTES);
    this.seal();
  }

  state(hs: HardState): void {
    const p = this.open(RecordType.State, STATE_PAYLOAD_BYTES);
    writeU64(this.buf, hs.term, p);
    this.buf.writeBigUInt64LE(hs.vote, p + 8);
    writeU64(this.buf, hs.commit, p + 16);
    this.seal();
  }

  /** A segment's first frame: carries `carried` (the previous segment's final CRC) and re-seeds the chain with it. */
  crcRecord(carried: number): void {
    this.crc = carried;
    const p = this.open(RecordType.Crc, CRC_PAYLOAD_BYTES);
    this.buf.writeUInt32LE(carried >>> 0, p);
    this.seal();
  }

  metadata(m: Uint8Array): void {
    const p = this.open(RecordType.Metadata, m.length);
    this.buf.set(m, p);
    this.seal();
  }

  snapshot(s: WalSnapshotMark): void {
    const p = this.open(RecordType.Snapshot, SNAPSHOT_PAYLOAD_BYTES);
    writeU64(this.buf, s.index, p);
    writeU64(this.buf, s.term, p + 8);
    this.seal();
  }

  private frameStart = 0;
  private payloadLen = 0;

  /** Writes the header (but the CRC) and returns the payload's offset. */
  private open(type: RecordType, len: number): number {
    if (len > MAX_RECORD_PAYLOAD_BYTES) {
      throw new Error(`wal: max entry size limit exceeded (record of ${len} bytes, limit ${MAX_RECORD_PAYLOAD_BYTES})`);
    }
    const off = this.offset;
    const total = frameSize(len);
    if (off + total > this.buf.length) throw new Error(`wal: frame buffer too small (${off + total} > ${this.buf.length})`);
    this.buf.writeUInt32LE(len, off + 4);
    this.buf[off + 8] = type;
    this.buf[off + 9] = total - FRAME_HEADER_BYTES - len;
    this.buf.writeUInt16LE(0, off + 10);
    this.frameStart = off;
    this.payloadLen = len;
    return off + FRAME_HEADER_BYTES;
  }

  private seal(): void {
    const off = this.frameStart;
    const payloadEnd = off + FRAME_HEADER_BYTES + this.payloadLen;
    const frameEnd = off + frameSize(this.payloadLen);
    this.buf.fill(0, payloadEnd, frameEnd);
    this.crc = frameCrc(this.buf, off, this.payloadLen, this.crc);
    this.buf.writeUInt32LE(this.crc, off);
    this.offset = frameEnd;
  }
}

/** The index of an ENTRY payload, without decoding (or copying) the rest. */
export function entryIndex(p: Buffer): number {
  return readU64(p, 8);
}

export function decodeEntry(p: Buffer): Entry {
  return {
    term: readU64(p, 0),
    index: readU64(p, 8),
    type: p[16]!,
    // A plain Uint8Array copy: `p` is a view into a whole segment's read buffer, which must not stay alive.
    data: new Uint8Array(p.subarray(ENTRY_FIXED_BYTES)),
  };
}

export function decodeHardState(p: Buffer): HardState {
  return { term: readU64(p, 0), vote: p.readBigUInt64LE(8), commit: readU64(p, 16) };
}

export function decodeSnapshotMark(p: Buffer): WalSnapshotMark {
  return { index: readU64(p, 0), term: readU64(p, 8) };
}

export function decodeCrc(p: Buffer): number {
  return p.readUInt32LE(0);
}

/** Whether a payload of `len` bytes is well formed for `type`; anything else is damage. */
export function payloadLengthValid(type: RecordType, len: number): boolean {
  switch (type) {
    case RecordType.Metadata:
      return true;
    case RecordType.Entry:
      return len >= ENTRY_FIXED_BYTES;
    case RecordType.State:
      return len === STATE_PAYLOAD_BYTES;
    case RecordType.Crc:
      return len === CRC_PAYLOAD_BYTES;
    case RecordType.Snapshot:
      return len === SNAPSHOT_PAYLOAD_BYTES;
  }
}
