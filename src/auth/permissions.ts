// Does a user's set of granted key ranges cover a requested key or range?
//
// Ranges follow etcd's conventions: an empty range end means the single key, a range end
// of one zero byte means "every key from `key` on" (open ended). A grant of
// [key, rangeEnd) covers a request when the request lies inside the union of the grants:
// grants [a, c) and [c, e) together cover the request [b, d).

import type { Permission } from '../gen/authpb/auth.js';
import { Permission_Type } from '../gen/authpb/auth.js';

/** A half-open interval [start, end); `end` undefined is open ended. */
export interface KeyInterval {
  start: Buffer;
  end: Buffer | undefined;
}

const ZERO = Buffer.from([0]);

/** The interval a (key, rangeEnd) pair names, as etcd reads it. */
export function toInterval(key: Uint8Array, rangeEnd: Uint8Array | undefined): KeyInterval {
  const start = Buffer.from(key);
  if (rangeEnd === undefined || rangeEnd.length === 0) return { start, end: Buffer.concat([start, ZERO]) };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start, end: undefined };
  return { start, end: Buffer.from(rangeEnd) };
}

function endAfter(a: Buffer | undefined, b: Buffer | undefined): boolean {
  if (a === undefined) return b !== undefined;
  if (b === undefined) return false;
  return Buffer.compare(a, b) > 0;
}

/** Sorted, non-overlapping, non-adjacent intervals with the same union as `list`. */
export function mergeIntervals(list: KeyInterval[]): KeyInterval[] {
  const sorted = [...list].sort((x, y) => Buffer.compare(x.start, y.start));
  const out: KeyInterval[] = [];
  for (const iv of sorted) {
    const last = out[out.length - 1];
    // Half-open intervals that touch ([a,b) and [b,c)) merge into one.
    if (last && (last.end === undefined || Buffer.compare(iv.start, last.end) <= 0)) {
      if (endAfter(iv.end, last.end)) last.end = iv.end;
      continue;
    }
    out.push({ start: iv.start, end: iv.end });
  }
  return out;
}

/** True if the merged intervals contain all of `want`. */
export function covers(merged: KeyInterval[], want: KeyInterval): boolean {
  for (const iv of merged) {
    if (Buffer.compare(iv.start, want.start) > 0) return false;
    if (iv.end === undefined) return true;
    if (Buffer.compare(want.start, iv.end) >= 0) continue;
    return !endAfter(want.end, iv.end);
  }
  return false;
}

/** What one user may read and write: the union of their roles' grants. */
export interface UnifiedPermissions {
  read: KeyInterval[];
  write: KeyInterval[];
}

export function unifyPermissions(perms: Permission[]): UnifiedPermissions {
  const read: KeyInterval[] = [];
  const write: KeyInterval[] = [];
  for (const p of perms) {
    const iv = toInterval(p.key, p.rangeEnd);
    if (p.permType === Permission_Type.READ || p.permType === Permission_Type.READWRITE) read.push(iv);
    if (p.permType === Permission_Type.WRITE || p.permType === Permission_Type.READWRITE) write.push(iv);
  }
  return { read: mergeIntervals(read), write: mergeIntervals(write) };
}
