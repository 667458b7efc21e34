// The bytes of one raft snapshot file. Integers little endian, 64-bit ones as u64.
//
//   offset   size  field
//   0        8     magic "ETSSNAP1" (the last byte is the format version)
//   8        4     CRC-32C of bytes [12, end of file)
//   12       8     index (last entry the snapshot covers)
//   20       8     term of that entry
//   28       4     V, number of voters
//   32       4     L, number of learners
//   36       8·V   voter ids (u64)
//   ..       8·L   learner ids (u64)
//   ..       8     D, data length
//   ..       D     data (the application's state, opaque here)
//
// The file ends exactly after the data: trailing or missing bytes make it invalid.
// Worked example: index 5, term 2, voters [1], no learners, data "hi" takes
// 12 + 24 + 8 + 8 + 2 = 54 bytes. Golden bytes: test/snap/fixtures/.
//
// Name: `<16 hex term>-<16 hex index>.snap`, so sorting names sorts by (term, index).

import { crc32c } from '@node-rs/crc32';
import type { Snapshot } from '../raft/types.js';
import { SnapCorruptError, SnapEmptyError } from './errors.js';

export const SNAP_MAGIC = Buffer.from('ETSSNAP1', 'latin1');
export const SNAP_SUFFIX = '.snap';
const HEADER_BYTES = 12;
const FIXED_BODY_BYTES = 8 + 8 + 4 + 4 + 8;
/** Most members a snapshot's conf state may list; more means the counts are damaged. */
export const MAX_CONF_STATE_MEMBERS = 1 << 16;
const TWO_32 = 2 ** 32;

export function snapName(term: number, index: number): string {
  return `${term.toString(16).padStart(16, '0')}-${index.toString(16).padStart(16, '0')}${SNAP_SUFFIX}`;
}

export function parseSnapName(name: string): { term: number; index: number } | undefined {
  const m = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/.exec(name);
  if (!m) return undefined;
  return { term: parseInt(m[1]!, 16), index: parseInt(m[2]!, 16) };
}

function writeU64(buf: Buffer, v: number, off: number): void {
  buf.writeUInt32LE(v % TWO_32, off);
  buf.writeUInt32LE(Math.floor(v / TWO_32), off + 4);
}

function readU64(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off + 4) * TWO_32 + buf.readUInt32LE(off);
}

export function encodeSnapshot(s: Snapshot): Buffer {
  const { voters, learners } = s.metadata.confState;
  const size = HEADER_BYTES + FIXED_BODY_BYTES + 8 * (voters.length + learners.length) + s.data.length;
  const buf = Buffer.allocUnsafe(size);
  SNAP_MAGIC.copy(buf, 0);
  let p = HEADER_BYTES;
  writeU64(buf, s.metadata.index, p);
  writeU64(buf, s.metadata.term, p + 8);
  buf.writeUInt32LE(voters.length, p + 16);
  buf.writeUInt32LE(learners.length, p + 20);
  p += 24;
  for (const id of voters) p = buf.writeBigUInt64LE(id, p);
  for (const id of learners) p = buf.writeBigUInt64LE(id, p);
  writeU64(buf, s.data.length, p);
  buf.set(s.data, p + 8);
  buf.writeUInt32LE(crc32c(buf.subarray(HEADER_BYTES)), 8);
  return buf;
}

/** Decodes and verifies a snapshot file's bytes; `file` is only for error messages. */
export function decodeSnapshot(file: string, buf: Buffer): Snapshot {
  if (buf.length === 0) throw new SnapEmptyError(file);
  if (buf.length < HEADER_BYTES || !buf.subarray(0, 8).equals(SNAP_MAGIC)) {
    throw new SnapCorruptError(file, `not an etcd-ts snapshot file (${buf.length} bytes)`, false);
  }
  // Checked before the structure, so a truncated file reads as the checksum failure it is.
  const stored = buf.readUInt32LE(8);
  const computed = crc32c(buf.subarray(HEADER_BYTES));
  if (stored !== computed) throw new SnapCorruptError(file, `stored ${stored.toString(16)}, computed ${computed.toString(16)}`);
  if (buf.length < HEADER_BYTES + FIXED_BODY_BYTES) throw new SnapCorruptError(file, `only ${buf.length} bytes`, false);
  let p = HEADER_BYTES;
  const index = readU64(buf, p);
  const term = readU64(buf, p + 8);
  const nv = buf.readUInt32LE(p + 16);
  const nl = buf.readUInt32LE(p + 20);
  p += 24;
  if (nv + nl > MAX_CONF_STATE_MEMBERS || p + 8 * (nv + nl) + 8 > buf.length) {
    throw new SnapCorruptError(file, `conf state of ${nv} voters and ${nl} learners does not fit`, false);
  }
  const voters: bigint[] = [];
  const learners: bigint[] = [];
  for (let i = 0; i < nv; i++, p += 8) voters.push(buf.readBigUInt64LE(p));
  for (let i = 0; i < nl; i++, p += 8) learners.push(buf.readBigUInt64LE(p));
  const dataLen = readU64(buf, p);
  p += 8;
  if (p + dataLen !== buf.length) throw new SnapCorruptError(file, `data of ${dataLen} bytes where ${buf.length - p} remain`, false);
  return { data: new Uint8Array(buf.subarray(p)), metadata: { index, term, confState: { voters, learners } } };
}
