// The on-disk record format of etcd-ts's write-ahead log.
//
// A WAL is a directory of segment files named `<seq>-<index>.wal` (16 hex digits each):
// `seq` counts segments from 0, `index` is the raft index of the first entry the segment
// may hold. Segments are preallocated (zero-filled) and cut when full.
//
// A segment is a sequence of 8-byte-aligned frames:
//
//   offset  size  field
//   0       4     payload length N (uint32, little endian)
//   4       1     record type (1..5; 0 never occurs, so a zero header marks the end of data)
//   5       1     padding P after the payload (0..7), so that 12 + N + P is a multiple of 8
//   6       2     reserved, zero
//   8       4     CRC-32C (Castagnoli) of [type byte, payload], seeded with the previous
//                 frame's CRC: the checksum chains through the whole log
//   12      N     payload
//   12+N    P     zero padding
//
// Worked example: an entry frame whose payload is 25 bytes takes 12 + 25 + 3 = 40 bytes.
//
// Each segment opens with a CRC frame whose payload is the running CRC at the end of the
// previous segment (0 for the first), then a metadata frame, then a state frame with the
// newest hard state, so every segment can be verified and understood on its own.
//
// Payloads (all integers little endian; 64-bit values as two uint32, low word first):
//   METADATA  opaque bytes chosen by the member (its member and cluster ids)
//   ENTRY     term u64, index u64, entry type u8, data (rest of payload)
//   STATE     term u64, vote u64, commit u64
//   CRC       running crc u32
//   SNAPSHOT  index u64, term u64 (a raft snapshot was taken at this point)

import { crc32c } from '@node-rs/crc32';
import type { Entry, HardState } from '../raft/types.js';

export enum RecordType {
  Metadata = 1,
  Entry = 2,
  State = 3,
  Crc = 4,
  Snapshot = 5,
}

export const FRAME_HEADER_BYTES = 12;
export const FRAME_ALIGN_BYTES = 8;
/** Largest payload a frame may carry; a larger length in a header means corruption. */
export const MAX_RECORD_PAYLOAD_BYTES = 64 * 1024 * 1024;

export interface WalSnapshotMark {
  index: number;
  term: number;
}

export function frameSize(payloadBytes: number): number {
  const raw = FRAME_HEADER_BYTES + payloadBytes;
  return raw + ((FRAME_ALIGN_BYTES - (raw % FRAME_ALIGN_BYTES)) % FRAME_ALIGN_BYTES);
}

const TWO_32 = 2 ** 32;

export function writeU64(buf: Buffer, value: number | bigint, offset: number): void {
  const v = typeof value === 'bigint' ? value : BigInt(value);
  buf.writeUInt32LE(Number(v & 0xffffffffn), offset);
  buf.writeUInt32LE(Number(v >> 32n), offset + 4);
}

export function readU64Number(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset + 4) * TWO_32 + buf.readUInt32LE(offset);
}

export function readU64Big(buf: Buffer, offset: number): bigint {
  return (BigInt(buf.readUInt32LE(offset + 4)) << 32n) | BigInt(buf.readUInt32LE(offset));
}

/** Computes the chained CRC of a frame's type and payload. */
export function frameCrc(type: RecordType, payload: Buffer, prevCrc: number): number {
  return crc32c(payload, crc32c(Buffer.of(type), prevCrc));
}

/**
 * Appends frames to a growing buffer; `crc` is the running checksum after the last frame.
 * One encoder serves one save, so a whole Ready becomes one write.
 */
export class FrameEncoder {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(public crc: number) {}

  get byteLength(): number {
    return this.size;
  }

  add(type: RecordType, payload: Buffer): void {
    const total = frameSize(payload.length);
    const frame = Buffer.alloc(total);
    frame.writeUInt32LE(payload.length, 0);
    frame[4] = type;
    frame[5] = total - FRAME_HEADER_BYTES - payload.length;
    this.crc = frameCrc(type, payload, this.crc);
    frame.writeUInt32LE(this.crc, 8);
    payload.copy(frame, FRAME_HEADER_BYTES);
    this.chunks.push(frame);
    this.size += total;
  }

  finish(): Buffer {
    const out = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    this.size = 0;
    return out;
  }
}

export function encodeEntry(e: Entry): Buffer {
  const b = Buffer.allocUnsafe(17 + e.data.length);
  writeU64(b, e.term, 0);
  writeU64(b, e.index, 8);
  b[16] = e.type;
  b.set(e.data, 17);
  return b;
}

export function decodeEntry(p: Buffer): Entry {
  return {
    term: readU64Number(p, 0),
    index: readU64Number(p, 8),
    type: p[16]!,
    // Copy: the payload is a view into the segment read buffer.
    data: Uint8Array.prototype.slice.call(p, 17),
  };
}

export function encodeHardState(hs: HardState): Buffer {
  const b = Buffer.alloc(24);
  writeU64(b, hs.term, 0);
  writeU64(b, hs.vote, 8);
  writeU64(b, hs.commit, 16);
  return b;
}

export function decodeHardState(p: Buffer): HardState {
  return { term: readU64Number(p, 0), vote: readU64Big(p, 8), commit: readU64Number(p, 16) };
}

export function encodeCrc(crc: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(crc >>> 0, 0);
  return b;
}

export function encodeSnapshotMark(s: WalSnapshotMark): Buffer {
  const b = Buffer.alloc(16);
  writeU64(b, s.index, 0);
  writeU64(b, s.term, 8);
  return b;
}

export function decodeSnapshotMark(p: Buffer): WalSnapshotMark {
  return { index: readU64Number(p, 0), term: readU64Number(p, 8) };
}

/** Segment file name for sequence `seq` whose first entry index is `index`. */
export function segmentName(seq: number, index: number): string {
  return `${seq.toString(16).padStart(16, '0')}-${index.toString(16).padStart(16, '0')}.wal`;
}

export function parseSegmentName(name: string): { seq: number; index: number } | undefined {
  const m = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/.exec(name);
  if (!m) return undefined;
  return { seq: parseInt(m[1]!, 16), index: parseInt(m[2]!, 16) };
}
