// Reads the WAL real etcd (3.4/3.5) wrote, to migrate it (see migrate-etcd-data-dir.ts).
//
// etcd's framing, as this reader understands it: each record is an 8-byte little-endian
// length word, then a protobuf walpb.Record {type, crc, data}, then zero padding to an
// 8-byte boundary. The low 56 bits of the word are the record's length; when its top bit
// is set, bits 56..58 give the padding length. A zero word is the end of a segment's data
// (segments are preallocated with zeros). Every record but the CRC records carries the
// running CRC-32C of all record data so far; a CRC record (first in each segment) carries
// the running value at the end of the previous segment and restarts the chain from it.
//
// Record types: 1 metadata (etcdserverpb.Metadata), 2 entry (raftpb.Entry), 3 state
// (raftpb.HardState), 4 crc, 5 snapshot (walpb.Snapshot). Segment files are named
// <seq>-<index>.wal in hex, and are read in name order.

import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { allZero, SECTOR_BYTES } from '../wal/segment-reader.js';
import { decodeEntry, decodeHardState, decodeRecord, decodeSnapshotMark, type EtcdEntry, type EtcdHardState, type EtcdRecord, type EtcdSnapshotMark } from './etcd-protos.js';

export const ETCD_RECORD = { metadata: 1, entry: 2, state: 3, crc: 4, snapshot: 5 } as const;

const LENGTH_WORD_BYTES = 8;
/** etcd refuses records this large; a length word above it is damage, not a record. */
const MAX_RECORD_BYTES = 10 * 1024 * 1024;
const SEGMENT_NAME = /^[0-9a-f]{16}-[0-9a-f]{16}\.wal$/;

export interface EtcdWal {
  /** The metadata record's bytes (etcdserverpb.Metadata: member id, cluster id). */
  metadata: Uint8Array;
  /** Every snapshot record, in log order. */
  marks: EtcdSnapshotMark[];
  /** Every entry record, in log order (later ones may overwrite earlier indexes). */
  entries: EtcdEntry[];
  /** The last hard state written. */
  hardState: EtcdHardState | undefined;
}

export async function etcdWalSegments(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => SEGMENT_NAME.test(n)).sort();
}

interface Frame {
  /** Offset just past the frame (padding included). */
  end: number;
  /** The record's protobuf bytes. */
  body: Buffer;
  /** The record bytes and padding, for the torn-write check. */
  raw: Buffer;
}

/** The frame at `off`, undefined at the end of the data (a zero word or end of file). */
function frameAt(buf: Buffer, off: number): Frame | undefined {
  if (off + LENGTH_WORD_BYTES > buf.length) return undefined;
  const word = buf.readBigUInt64LE(off);
  if (word === 0n) return undefined;
  const recBytes = Number(word & 0x00ff_ffff_ffff_ffffn);
  const padBytes = word >> 63n === 1n ? Number((word >> 56n) & 7n) : 0;
  if (recBytes >= MAX_RECORD_BYTES) throw new FrameError(`record length ${recBytes} is over etcd's limit`);
  const start = off + LENGTH_WORD_BYTES;
  const end = start + recBytes + padBytes;
  if (end > buf.length) throw new FrameError(`record of ${recBytes} bytes runs past the end of the file`);
  return { end, body: buf.subarray(start, start + recBytes), raw: buf.subarray(start, end) };
}

class FrameError extends Error {}

/**
 * Whether a bad record at `off` of the last segment is a write a crash cut short: some
 * 512-byte sector it spans is all zeros (the sectors of one write reach the disk in any
 * order). etcd drops such a tail; anything else is corruption.
 */
function isTorn(buf: Buffer, off: number): boolean {
  let p = off + LENGTH_WORD_BYTES;
  const word = p <= buf.length ? buf.readBigUInt64LE(off) : 0n;
  const end = Math.min(buf.length, p + Number(word & 0x00ff_ffff_ffff_ffffn) + 8);
  if (p >= end) return true;
  while (p < end) {
    const chunkEnd = Math.min(end, (Math.floor(p / SECTOR_BYTES) + 1) * SECTOR_BYTES);
    if (allZero(buf, p, chunkEnd)) return true;
    p = chunkEnd;
  }
  return false;
}

/** Whether `path` begins as an etcd WAL segment does: a framed CRC record. */
export async function looksLikeEtcdWalSegment(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const frame = frameAt(head.subarray(0, bytesRead), 0);
    return frame !== undefined && decodeRecord(frame.body).type === ETCD_RECORD.crc;
  } catch {
    return false;
  } finally {
    await fh.close();
  }
}

/** Reads every segment of etcd's WAL in `dir`, checking the CRC chain. */
export async function readEtcdWal(dir: string): Promise<EtcdWal> {
  const names = await etcdWalSegments(dir);
  if (names.length === 0) throw new Error(`etcd wal: no segments in ${dir}`);
  const wal: EtcdWal = { metadata: new Uint8Array(), marks: [], entries: [], hardState: undefined };
  let metadata: Uint8Array | undefined;
  let crc = 0;
  for (const [i, name] of names.entries()) {
    const path = join(dir, name);
    const buf = await readFile(path);
    const last = i === names.length - 1;
    let off = 0;
    for (;;) {
      let frame: Frame | undefined;
      let rec: EtcdRecord;
      try {
        frame = frameAt(buf, off);
        if (frame === undefined) break;
        rec = decodeRecord(frame.body);
        if (rec.type !== ETCD_RECORD.crc) {
          crc = crc32c(Buffer.from(rec.data.buffer, rec.data.byteOffset, rec.data.byteLength), crc);
          if (rec.crc !== crc >>> 0) throw new FrameError(`crc mismatch (stored ${rec.crc.toString(16)}, computed ${(crc >>> 0).toString(16)})`);
        }
      } catch (e) {
        if (last && isTorn(buf, off)) break;
        throw new Error(`etcd wal: ${(e as Error).message} in ${path} at offset ${off}`);
      }
      off = frame.end;
      switch (rec.type) {
        case ETCD_RECORD.crc:
          // A fresh read starts with no chain to check against: only later segments are checked.
          if (crc !== 0 && rec.crc !== crc >>> 0) throw new Error(`etcd wal: crc mismatch at the start of ${path}`);
          crc = rec.crc;
          break;
        case ETCD_RECORD.metadata:
          if (metadata !== undefined && !Buffer.from(metadata).equals(rec.data)) throw new Error(`etcd wal: conflicting metadata found in ${path}`);
          metadata = rec.data;
          break;
        case ETCD_RECORD.entry:
          wal.entries.push(decodeEntry(rec.data));
          break;
        case ETCD_RECORD.state:
          wal.hardState = decodeHardState(rec.data);
          break;
        case ETCD_RECORD.snapshot:
          wal.marks.push(decodeSnapshotMark(rec.data));
          break;
        default:
          throw new Error(`etcd wal: unexpected record type ${rec.type} in ${path} at offset ${off}`);
      }
    }
  }
  if (metadata === undefined) throw new Error(`etcd wal: no metadata record in ${dir}`);
  wal.metadata = metadata;
  return wal;
}

/**
 * The log after `snap`, as etcd reads it: an entry at or below an index already read
 * replaces the tail from there (a new leader overwrote uncommitted entries).
 */
export function entriesAfter(wal: EtcdWal, snap: EtcdSnapshotMark): EtcdEntry[] {
  const out: EtcdEntry[] = [];
  for (const e of wal.entries) {
    if (e.index <= snap.index) continue;
    const at = e.index - snap.index - 1;
    if (at > out.length) throw new Error(`etcd wal: entry ${e.index} follows entry ${snap.index + out.length}: the log has a gap`);
    out.length = at;
    out.push(e);
  }
  return out;
}
