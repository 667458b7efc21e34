// Segment files on disk: their names, listing them in order, and the directory fsync
// that makes a create, rename or unlink durable.
//
// A segment is named `<seq>-<index>.wal`, both 16 lower-case hex digits: `seq` counts
// segments from 0 without gaps, `index` is the raft index the segment's first entry is
// expected to have (the last saved index + 1 when it was cut; 0 for the first segment).
// Example: `0000000000000002-00000000000004d3.wal` is the third segment, cut after
// entry 1234 was saved.

import { open, readdir } from 'node:fs/promises';

export const SEGMENT_SUFFIX = '.wal';
/** Suffix of a segment being prepared by a cut; never read, removed on open. */
export const SEGMENT_TMP_SUFFIX = '.wal.tmp';

export interface SegmentName {
  name: string;
  seq: number;
  index: number;
}

function hex16(n: number): string {
  return n.toString(16).padStart(16, '0');
}

export function segmentName(seq: number, index: number): string {
  return `${hex16(seq)}-${hex16(index)}${SEGMENT_SUFFIX}`;
}

const NAME_RE = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

export function parseSegmentName(name: string): SegmentName | undefined {
  const m = NAME_RE.exec(name);
  if (!m) return undefined;
  return { name, seq: parseInt(m[1]!, 16), index: parseInt(m[2]!, 16) };
}

/** Segment files of `dir`, oldest first; other files are ignored. Empty if `dir` is missing. */
export async function listSegments(dir: string): Promise<SegmentName[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: SegmentName[] = [];
  for (const n of names) {
    const p = parseSegmentName(n);
    if (p) out.push(p);
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** True when each segment's seq is one more than the one before. */
export function sequenceIsContiguous(segs: SegmentName[]): boolean {
  for (let i = 1; i < segs.length; i++) if (segs[i]!.seq !== segs[i - 1]!.seq + 1) return false;
  return true;
}

/**
 * Position of the segment to start reading at for a snapshot at `index`: the last one
 * whose first expected index is ≤ `index` (it holds the entry after the snapshot, or
 * the snapshot record itself). -1 when every segment starts after `index`.
 */
export function searchSegment(segs: SegmentName[], index: number): number {
  for (let i = segs.length - 1; i >= 0; i--) if (segs[i]!.index <= index) return i;
  return -1;
}

/** Makes creates, renames and unlinks inside `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
