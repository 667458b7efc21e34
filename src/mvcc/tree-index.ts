// The in-memory ordered index: key → KeyIndex, in a B+ tree ordered bytewise (keys held
// as latin1 strings, whose code-unit order is byte order). Point lookups and inserts are
// O(log n); a range visits only the keys inside it.
//
// Point lookups (every put, single-key reads and compares) descend the tree too. A hash
// map beside the tree saved the descent (~20 string compares, ~1-2 us of a put's ~300 us
// of CPU) but cost 28-50 heap bytes per key (its table is sized in powers of two), which
// V8's heap then multiplies by its growth slack: at a million keys it was ~80 MiB of
// resident memory for <1% of a put's time, so the tree alone serves lookups.
//
// Range ends follow etcd's API: an empty end names the single key; end = [0x00] means
// every key >= key; otherwise [key, end), empty when end <= key.

import sortedBtree from 'sorted-btree';
import { KeyIndex } from './key-index.js';
import { compareStrings } from '../pkg/compare-strings.js';

// sorted-btree is CommonJS with its class on `default`.
const BTree = sortedBtree.default;
type Tree = import('sorted-btree').default<string, KeyIndex>;

function keyString(key: Buffer): string {
  return key.toString('latin1');
}

export function isFromKey(end: Buffer): boolean {
  return end.length === 1 && end[0] === 0;
}

export class TreeIndex {
  private readonly tree: Tree = new BTree<string, KeyIndex>(undefined, compareStrings);

  get(key: Buffer): KeyIndex | undefined {
    return this.tree.get(keyString(key));
  }

  getOrCreate(key: Buffer): KeyIndex {
    const k = keyString(key);
    let ki = this.tree.get(k);
    if (!ki) {
      ki = new KeyIndex();
      this.tree.set(k, ki);
    }
    return ki;
  }

  private delete(k: string): void {
    this.tree.delete(k);
  }

  /**
   * Visits the keys of the range in order, each with its key as a latin1 string (the
   * tree's own: a key index does not hold its key); `visit` returns false to stop.
   * Hold the string, not a Buffer slice of a request, to keep a key past the visit: a
   * slice of Node's shared 8 KiB pool keeps the whole slab alive.
   */
  visit(key: Buffer, end: Buffer, visit: (ki: KeyIndex, key: string) => boolean): void {
    if (end.length === 0) {
      const k = keyString(key);
      const ki = this.tree.get(k);
      if (ki) visit(ki, k);
      return;
    }
    const lo = keyString(key);
    const hi = isFromKey(end) ? undefined : keyString(end);
    if (hi !== undefined && hi <= lo) return;
    for (const [k, ki] of this.tree.entries(lo)) {
      if (hi !== undefined && k >= hi) break;
      if (!visit(ki, k)) break;
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
