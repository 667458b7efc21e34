// The history of one key as a list of generations. A generation is one life of the key:
// from the put that created it to the delete (tombstone) that ended it. Only the last
// generation may be live (not ended); when the key is currently deleted every
// generation is ended. (etcd appends an empty generation after a tombstone; `ended` is
// the same fact stated on the generation itself.)
//
// Worked example. put(a)@1, put(a)@2, delete(a)@3, put(a)@4.0, put(a)@4.1 (two puts in
// one txn) gives
//
//   generation 0: created 1, revs [1.0, 2.0, 3.0(tombstone)], ended   versions 1, 2, deleted
//   generation 1: created 4, revs [4.0, 4.1], live                     versions 1, 2
//
//   get(1) → mod 1.0, created 1, version 1
//   get(2) → mod 2.0, version 2
//   get(3) → absent (deleted at 3)
//   get(4) → mod 4.1, created 4, version 2 (a read sees the newest sub revision)
//
// Compaction at revision c keeps, per generation, the newest revision <= c (what a read
// at c sees) and everything after it, and drops every generation that ended at or
// before c (no read at c or later can see any of it, tombstone included):
//
//   compact(2): gen 0 → [2.0, 3.0(t)], removes 1.0;           gen 1 unchanged
//   compact(3): gen 0 ended at 3 <= 3 → dropped: removes 1.0, 2.0, 3.0(t)
//   compact(4): gen 0 dropped as for compact(3); 4.0 and 4.1 both have main <= 4 and
//               4.1 is the newer, so gen 1 → [4.1] and 4.0 is removed too.
//
// The revisions compaction keeps at or below c are the "keep set" (etcd's `available`):
// physical compaction deletes from the backend every revision <= c not in it, and
// HashKV hashes revisions <= c only if they are in it, so members agree whether or not
// their physical compaction has finished.
//
// Invariants: revs are strictly increasing across the whole key; a generation's
// `created` is its first put's main revision even after compaction trimmed that put;
// an ended generation's last rev is its tombstone.

import { compareRev, revId, type Revision } from './revision.js';

export interface Generation {
  /** Version of the key at the newest put of this generation. */
  version: number;
  /** Main revision of the put that began the generation. */
  created: number;
  /** Revisions in increasing order; when `ended`, the last one is the tombstone. */
  revs: Revision[];
  ended: boolean;
}

export interface KeyAt {
  modified: Revision;
  created: number;
  version: number;
}

/** Index in `revs` of the newest revision with main <= atRev, or -1. */
function newestAtOrBefore(revs: readonly Revision[], atRev: number): number {
  let lo = 0;
  let hi = revs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (revs[mid]!.main <= atRev) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Shared by every key index with no history yet; replaced, never pushed into. */
const NO_GENERATIONS: Generation[] = [];

export class KeyIndex {
  /**
   * Arrays here start as one-element literals, never as [] followed by push(): V8 gives a
   * pushed-into empty array room for 16 more elements, ~140 bytes per array, and a key
   * index holds two arrays per key (generations, revs) for a million keys and more.
   */
  private gens: Generation[] = NO_GENERATIONS;

  /**
   * The common case held without any generation object or array: a key whose whole
   * history is one put (one live generation, version 1, created at the put's main
   * revision), which is every key of a bulk load. Spelled out it costs a Generation, a
   * generations array, a revs array and a Revision — about 200 of the ~300 heap bytes a
   * key took; here it is two numbers on the key index. The first change that does not
   * fit (a second put, a tombstone, a restore with older history) expands it into
   * `gens`, and the logic below then works on generations as before. While the key is
   * in this form `gens` is empty and `soloSub` >= 0; otherwise `soloSub` is -1.
   */
  private soloMain = 0;
  private soloSub = -1;

  /**
   * The key as a latin1 string (one char per byte): the tree index holds the same string
   * as its map key, so a key costs its bytes once. A Buffer per key would be a slice of
   * Node's shared 8 KiB pool and keep the whole slab alive, which at a million keys
   * held over a gigabyte of otherwise dead request bytes.
   */
  private readonly name: string;

  constructor(key: Buffer | string) {
    this.name = typeof key === 'string' ? key : key.toString('latin1');
  }

  /** The key's bytes (a fresh Buffer; only deletes and errors need them). */
  get key(): Buffer {
    return Buffer.from(this.name, 'latin1');
  }

  /** The history as generations (a fresh view of the compact form when the key is in it). */
  get generations(): readonly Generation[] {
    return this.soloSub >= 0 ? [this.soloGeneration()] : this.gens;
  }

  private soloGeneration(): Generation {
    return { version: 1, created: this.soloMain, revs: [{ main: this.soloMain, sub: this.soloSub }], ended: false };
  }

  /** Leaves the compact form for the general one, before a change it cannot express. */
  private expand(): void {
    if (this.soloSub < 0) return;
    this.gens = [this.soloGeneration()];
    this.soloSub = -1;
  }

  private live(): Generation | undefined {
    const g = this.gens[this.gens.length - 1];
    return g && !g.ended ? g : undefined;
  }

  isLive(): boolean {
    return this.soloSub >= 0 || this.live() !== undefined;
  }

  isEmpty(): boolean {
    return this.soloSub < 0 && this.gens.length === 0;
  }

  /** Records a put at `rev`: extends the live generation or begins a new one. */
  put(rev: Revision): void {
    this.assertNewer(rev);
    if (this.gens.length === 0 && this.soloSub < 0) {
      this.soloMain = rev.main;
      this.soloSub = rev.sub;
      return;
    }
    this.expand();
    const g = this.live();
    if (!g) {
      this.addGeneration({ version: 1, created: rev.main, revs: [rev], ended: false });
      return;
    }
    g.revs.push(rev);
    g.version++;
  }

  private addGeneration(g: Generation): void {
    if (this.gens.length === 0) this.gens = [g];
    else this.gens.push(g);
  }

  /**
   * Records a put read back from the backend at start-up, where compaction may have
   * removed the generation's earlier puts: the stored createRevision and version are
   * authoritative.
   */
  restorePut(rev: Revision, created: number, version: number): void {
    this.assertNewer(rev);
    if (this.gens.length === 0 && this.soloSub < 0 && version === 1 && created === rev.main) {
      this.soloMain = rev.main;
      this.soloSub = rev.sub;
      return;
    }
    this.expand();
    const g = this.live();
    if (!g) {
      this.addGeneration({ version, created, revs: [rev], ended: false });
      return;
    }
    g.revs.push(rev);
    g.version = version;
  }

  /** Ends the live generation with a tombstone at `rev`. Returns false if the key is not live. */
  tombstone(rev: Revision): boolean {
    this.expand();
    const g = this.live();
    if (!g) return false;
    this.assertNewer(rev);
    g.revs.push(rev);
    g.ended = true;
    return true;
  }

  /** The key as a read at main revision `atRev` sees it, or undefined if absent then. */
  get(atRev: number): KeyAt | undefined {
    if (this.soloSub >= 0) {
      return this.soloMain <= atRev ? { modified: { main: this.soloMain, sub: this.soloSub }, created: this.soloMain, version: 1 } : undefined;
    }
    for (let i = this.gens.length - 1; i >= 0; i--) {
      const g = this.gens[i]!;
      if (g.created > atRev) continue;
      const j = newestAtOrBefore(g.revs, atRev);
      if (j < 0) return undefined; // trimmed by compaction: reads below it are refused earlier
      if (g.ended && j === g.revs.length - 1) return undefined; // deleted by then
      const putsAfter = g.revs.length - 1 - j - (g.ended ? 1 : 0);
      return { modified: g.revs[j]!, created: g.created, version: g.version - putsAfter };
    }
    return undefined;
  }

  /**
   * Per generation, the index of the first revision a compaction at `atRev` keeps, or
   * -1 when it drops the whole generation. Shared by compact() and keep().
   */
  private plan(atRev: number): number[] {
    return this.gens.map((g) => {
      const last = g.revs[g.revs.length - 1]!;
      if (g.ended && last.main <= atRev) return -1;
      return Math.max(0, newestAtOrBefore(g.revs, atRev));
    });
  }

  /**
   * Compacts at `atRev` (see the worked example), adding the kept revisions <= atRev to
   * `keep`. Returns false when no history is left (the caller drops the key).
   */
  compact(atRev: number, keep: Set<string>): boolean {
    if (this.soloSub >= 0) {
      // One live put: compaction keeps it whatever the revision (it is what reads see).
      this.keep(atRev, keep);
      return true;
    }
    const plan = this.plan(atRev);
    const kept: Generation[] = [];
    this.gens.forEach((g, i) => {
      const from = plan[i]!;
      if (from < 0) return;
      if (from > 0) g.revs = g.revs.slice(from);
      if (g.revs[0]!.main <= atRev) keep.add(revId(g.revs[0]!));
      kept.push(g);
    });
    this.gens = kept.length > 0 ? kept : NO_GENERATIONS;
    return kept.length > 0;
  }

  /** Adds to `keep` the revisions <= atRev that compact(atRev) would keep, changing nothing. */
  keep(atRev: number, keep: Set<string>): void {
    if (this.soloSub >= 0) {
      if (this.soloMain <= atRev) keep.add(revId({ main: this.soloMain, sub: this.soloSub }));
      return;
    }
    const plan = this.plan(atRev);
    this.gens.forEach((g, i) => {
      const from = plan[i]!;
      if (from >= 0 && g.revs[from]!.main <= atRev) keep.add(revId(g.revs[from]!));
    });
  }

  private assertNewer(rev: Revision): void {
    const g = this.gens[this.gens.length - 1];
    const newest = this.soloSub >= 0 ? { main: this.soloMain, sub: this.soloSub } : g?.revs[g.revs.length - 1];
    if (newest && compareRev(rev, newest) <= 0) {
      throw new Error(`mvcc: revision ${revId(rev)} is not newer than ${revId(newest)} for key ${JSON.stringify(this.key.toString())}`);
    }
  }
}
