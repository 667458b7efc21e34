// The in-memory ordered index: key → KeyIndex, in a B+ tree ordered bytewise (keys held
// as latin1 strings, whose code-unit order is byte order). Point lookups and inserts are
// O(log n); a range visits only the keys inside it.
//
// Point lookups (every put, single-key reads and compares) go through a hash map beside
// the tree: a B+ tree descent compares the key with ~20 others scattered over the heap, a
// cache miss each (~2 us at 100k keys, the largest single cost of a put), where the map
// hashes the key once. The map holds the tree's own key strings and values, ~12-30 bytes
// per key. V8 caps a Map near 2^24 entries, so past MAX_HASHED_KEYS the map is dropped
// and lookups use the tree alone.
//
// Range ends follow etcd's API: an empty end names the single key; end = [0x00] means
// every key >= key; otherwise [key, end), empty when end <= key.

import sortedBtree from 'sorted-btree';
import { KeyIndex } from './key-index.js';

// sorted-btree is CommonJS with its class on `default`.
const BTree = sortedBtree.default;
type Tree = import('sorted-btree').default<string, KeyIndex>;

function keyString(key: Buffer): string {
  return key.toString('latin1');
}

export function isFromKey(end: Buffer): boolean {
  return end.length === 1 && end[0] === 0;
}

/** Keys past which the point-lookup map is given up (V8's Map limit is 2^24 entries). */
export const MAX_HASHED_KEYS = 8_000_000;

export class TreeIndex {
  private readonly tree: Tree = new BTree<string, KeyIndex>();
  /** The same entries as `tree`, for point lookups; undefined past MAX_HASHED_KEYS. */
  private hashed: Map<string, KeyIndex> | undefined = new Map();

  /** `maxHashed`: tests lower it to reach the tree-only mode with a few keys. */
  constructor(private readonly maxHashed = MAX_HASHED_KEYS) {}

  get(key: Buffer): KeyIndex | undefined {
    return this.lookup(keyString(key));
  }

  private lookup(k: string): KeyIndex | undefined {
    return this.hashed ? this.hashed.get(k) : this.tree.get(k);
  }

  getOrCreate(key: Buffer): KeyIndex {
    const k = keyString(key);
    let ki = this.lookup(k);
    if (!ki) {
      ki = new KeyIndex(k);
      this.tree.set(k, ki);
      if (this.hashed) {
        if (this.hashed.size < this.maxHashed) this.hashed.set(k, ki);
        else this.hashed = undefined;
      }
    }
    return ki;
  }

  private delete(k: string): void {
    this.tree.delete(k);
    this.hashed?.delete(k);
  }

  /** Visits the keys of the range in order; `visit` returns false to stop. */
  visit(key: Buffer, end: Buffer, visit: (ki: KeyIndex) => boolean): void {
    if (end.length === 0) {
      const ki = this.get(key);
      if (ki) visit(ki);
      return;
    }
    const lo = keyString(key);
    const hi = isFromKey(end) ? undefined : keyString(end);
    if (hi !== undefined && hi <= lo) return;
    for (const [k, ki] of this.tree.entries(lo)) {
      if (hi !== undefined && k >= hi) break;
      if (!visit(ki)) break;
    }
  }

  /** Compacts every key at `rev`, dropping keys left without history; returns the keep set. */
  compact(rev: number): Set<string> {
    const keep = new Set<string>();
    const empty: string[] = [];
    for (const [k, ki] of this.tree.entries()) {
      if (!ki.compact(rev, keep)) empty.push(k);
    }
    for (const k of empty) this.delete(k);
    return keep;
  }

  /** The keep set a compaction at `rev` would produce, changing nothing. */
  keep(rev: number): Set<string> {
    const keep = new Set<string>();
    for (const ki of this.tree.values()) ki.keep(rev, keep);
    return keep;
  }

  /** Drops a key that restore found with no usable history. */
  deleteIfEmpty(key: Buffer): void {
    const k = keyString(key);
    if (this.tree.get(k)?.isEmpty()) this.delete(k);
  }

  /** Keys held (live, or deleted with history not yet compacted). */
  get size(): number {
    return this.tree.size;
  }
}
