// The backend's write buffer: writes not yet in the LMDB file, kept sorted per bucket so
// range reads can merge them with the file (the role etcd's txReadBuffer plays).
//
// A layer maps (bucket, key) to a value, or to null for a delete. The backend keeps one
// mutable layer (`pending`, filling up until the next commit) and, while a commit runs,
// the frozen layers being written. Reads consult layers newest first, then the file.
//
// Keys are held as latin1 strings: latin1 maps each byte to one UTF-16 code unit, so
// JavaScript's string order is exactly bytewise order, and compareStrings
// (the trees' comparator) orders them as LMDB orders the raw bytes.

import sortedBtree from 'sorted-btree';
import type { Bucket } from './buckets.js';
import { compareStrings } from '../pkg/compare-strings.js';

// sorted-btree is CommonJS with its class on `default`.
const BTree = sortedBtree.default;
type Tree = import('sorted-btree').default<string, Buffer | null>;

/** A buffered value: bytes for a put, null for a delete. */
export type BufferedValue = Buffer | null;

export function keyString(key: Buffer): string {
  return key.toString('latin1');
}

export function keyBytes(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

export class WriteLayer {
  private readonly trees: Map<Bucket, Tree>;
  /** Number of writes recorded (a key written twice counts twice: it measures work done). */
  ops = 0;

  constructor(trees?: Map<Bucket, Tree>) {
    this.trees = trees ?? new Map();
  }

  set(bucket: Bucket, key: Buffer, value: BufferedValue): void {
    this.setKey(bucket, keyString(key), value);
  }

  /** set() with the key already as its latin1 string (see keyString). */
  setKey(bucket: Bucket, key: string, value: BufferedValue): void {
    let t = this.trees.get(bucket);
    if (!t) {
      t = new BTree<string, Buffer | null>(undefined, compareStrings);
      this.trees.set(bucket, t);
    }
    t.set(key, value);
    this.ops++;
  }

  /** The buffered value, null for a buffered delete, undefined when this layer has no say. */
  get(bucket: Bucket, key: string): BufferedValue | undefined {
    return this.trees.get(bucket)?.get(key);
  }

  /** Whether this layer has any write for `bucket`. */
  holds(bucket: Bucket): boolean {
    const t = this.trees.get(bucket);
    return t !== undefined && t.size > 0;
  }

  /** Entries of `bucket` with start <= key < end (end undefined: no upper bound), in key order. */
  *entries(bucket: Bucket, start: string, end: string | undefined): Generator<[string, BufferedValue]> {
    const t = this.trees.get(bucket);
    if (!t) return;
    for (const e of t.entries(start)) {
      if (end !== undefined && e[0] >= end) return;
      yield e;
    }
  }

  /**
   * all() through a callback: no triple, iterator results or pair arrays per write (a
   * commit walks every write of the layer, ~3 a put).
   */
  forEachWrite(fn: (bucket: Bucket, key: string, value: BufferedValue) => void): void {
    for (const [bucket, t] of this.trees) {
      t.forEachPair((k, v) => {
        fn(bucket, k, v);
      });
    }
  }

  /** Every buffered write, bucket by bucket, in key order: what a commit writes. */
  *all(): Generator<[Bucket, string, BufferedValue]> {
    for (const [bucket, t] of this.trees) {
      for (const [k, v] of t.entries()) yield [bucket, k, v];
    }
  }

  /**
   * A copy that later writes to this layer do not affect. O(buckets): sorted-btree
   * clones share nodes and copy them on the first write to either side.
   */
  snapshot(): WriteLayer {
    const trees = new Map<Bucket, Tree>();
    for (const [b, t] of this.trees) trees.set(b, t.clone());
    const copy = new WriteLayer(trees);
    copy.ops = this.ops;
    return copy;
  }
}

/** One source in a merge: an iterator of [key, value] in key order. */
type Source = Iterator<[string, BufferedValue]>;

/**
 * Merges sorted sources into one sorted stream. `sources[0]` is the newest: when several
 * sources hold a key, the first one's value wins, and that may be a null (a buffered
 * delete), which the caller uses to hide the key in what lies below.
 *
 * Example: committing layer {b:null}, pending {c:9, d:4} → sources [pending, committing]
 * → b:null, c:9, d:4.
 */
export function* overlaySources(sources: Source[]): Generator<[string, BufferedValue]> {
  const heads: (IteratorResult<[string, BufferedValue]> | undefined)[] = sources.map((s) => s.next());
  for (;;) {
    let min: string | undefined;
    let winner = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (!h || h.done) continue;
      const k = h.value[0];
      if (min === undefined || k < min) {
        min = k;
        winner = i;
      }
    }
    if (winner < 0 || min === undefined) return;
    const value = (heads[winner] as IteratorYieldResult<[string, BufferedValue]>).value[1];
    // Advance every source positioned on this key; older sources are shadowed.
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h && !h.done && h.value[0] === min) heads[i] = sources[i]!.next();
    }
    yield [min, value];
  }
}
