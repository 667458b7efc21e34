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

/** Same over [main, sub, main, sub...] pairs from index `from` of `flat`: the pair index, or -1. */
function flatNewestAtOrBefore(flat: readonly number[], atRev: number, from = 0): number {
  let lo = 0;
  let hi = (flat.length - from) / 2 - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (flat[from + 2 * mid]! <= atRev) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * The compact form of a key's history: one live generation of a few puts, no tombstone
 * (every key of a bulk load). Either
 * - a number: one put at sub revision 0 of that main revision, created there, version 1
 *   (the common case: no array at all, ~64 heap bytes per key saved), or
 * - [created, version, main, sub, main, sub, ...]: the generation's created revision and
 *   version, then its revisions as pairs (at least one pair).
 */
type Flat = number | number[];

/** Where a flat array's revision pairs begin. */
const PAIRS = 2;

/** Puts a flat key index holds before it expands into generations (bounds the copy per put). */
const FLAT_MAX_PUTS = 4;

/** Shared by every key index with no history yet; replaced, never pushed into. */
const NO_GENERATIONS: Generation[] = [];

/** The compact form's revision pairs, [main, sub, ...]. */
function flatPairs(flat: Flat): number[] {
  return typeof flat === 'number' ? [flat, 0] : flat.slice(PAIRS);
}

function flatCreated(flat: Flat): number {
  return typeof flat === 'number' ? flat : flat[0]!;
}

function flatVersion(flat: Flat): number {
  return typeof flat === 'number' ? 1 : flat[1]!;
}

/** The compact form of these pairs, created revision and version (a number when it can be). */
function makeFlat(pairs: readonly number[], created: number, version: number): Flat {
  if (pairs.length === 2 && pairs[1] === 0 && created === pairs[0] && version === 1) return pairs[0]!;
  // concat makes an exact-size array; push() or a spread leave V8 growth slack (~130 B) behind.
  return [created, version].concat(pairs);
}

function flatGeneration(flat: Flat): Generation {
  const pairs = flatPairs(flat);
  const revs: Revision[] = [];
  for (let i = 0; i < pairs.length; i += 2) revs.push({ main: pairs[i]!, sub: pairs[i + 1]! });
  return { version: flatVersion(flat), created: flatCreated(flat), revs, ended: false };
}

export class KeyIndex {
  /**
   * The history, in one field: the compact form (a Flat) while it fits, else the
   * generations. One field instead of one per form, and no copy of the key (the tree index
   * holds it and hands it to whoever visits), keeps a key index at 4 words (32 heap bytes)
   * instead of 8: a million keys hold a million of these, and V8's heap grows in
   * proportion to what is live. Arrays of generations start as one-element literals, never
   * as [] followed by push(): V8 gives a pushed-into empty array room for 16 more
   * elements, ~140 bytes per array.
   *
   * The compact form holds the common case without generation or revision objects.
   * Spelled out, a generation costs a Generation, a generations array, a revs array and a
   * Revision per put: about 200 of the ~300 heap bytes a once-written key took. The first
   * change that does not fit (a tombstone, more than FLAT_MAX_PUTS puts) expands it into
   * generations, and the logic below then works on generations as before.
   */
  private hist: Flat | Generation[] = NO_GENERATIONS;

  /** The compact form, or undefined when the history is held as generations. */
  private get flat(): Flat | undefined {
    const h = this.hist;
    if (typeof h === 'number') return h;
    return h.length > 0 && typeof h[0] === 'number' ? (h as number[]) : undefined;
  }

  /** The generations; empty while the compact form holds the history. */
  private get gens(): Generation[] {
    const h = this.hist;
    return typeof h === 'number' || (h.length > 0 && typeof h[0] === 'number') ? NO_GENERATIONS : (h as Generation[]);
  }

  private set gens(g: Generation[]) {
    this.hist = g;
  }

  /** The history as generations (a fresh view of the compact form when the key is in it). */
  get generations(): readonly Generation[] {
    const flat = this.flat;
    return flat !== undefined ? [flatGeneration(flat)] : this.gens;
  }

  /** Leaves the compact form for the general one, before a change it cannot express. */
  private expand(): void {
    const flat = this.flat;
    if (flat === undefined) return;
    this.hist = [flatGeneration(flat)];
  }

  private live(): Generation | undefined {
    const gens = this.gens;
    const g = gens[gens.length - 1];
    return g && !g.ended ? g : undefined;
  }

  isLive(): boolean {
    return this.flat !== undefined || this.live() !== undefined;
  }

  isEmpty(): boolean {
    return this.hist === NO_GENERATIONS || (Array.isArray(this.hist) && this.hist.length === 0);
  }

  /** Records a put at `rev`: extends the live generation or begins a new one. */
  put(rev: Revision): void {
    this.assertNewer(rev);
    const flat = this.flat;
    if (this.putFlat(rev, rev.main, flat !== undefined ? flatVersion(flat) + 1 : 1)) return;
    this.expand();
    const g = this.live();
    if (!g) {
      this.addGeneration({ version: 1, created: rev.main, revs: [rev], ended: false });
      return;
    }
    g.revs.push(rev);
    g.version++;
  }

  /**
   * Records a put in the compact form when it still fits: the key's first put, or one more
   * of at most FLAT_MAX_PUTS. `created` counts only for a first put. False: it does not fit.
   */
  private putFlat(rev: Revision, created: number, version: number): boolean {
    if (this.isEmpty()) {
      // The bulk-load case stores the number without building the pair first.
      this.hist = rev.sub === 0 && created === rev.main && version === 1 ? rev.main : makeFlat([rev.main, rev.sub], created, version);
      return true;
    }
    const flat = this.flat;
    if (flat === undefined) return false;
    const pairs = flatPairs(flat);
    if (pairs.length >= 2 * FLAT_MAX_PUTS) return false;
    this.hist = makeFlat(pairs.concat(rev.main, rev.sub), flatCreated(flat), version);
    return true;
  }

  private addGeneration(g: Generation): void {
    const gens = this.gens;
    if (gens.length === 0) this.gens = [g];
    else gens.push(g);
  }

  /**
   * Records a put read back from the backend at start-up, where compaction may have
   * removed the generation's earlier puts: the stored createRevision and version are
   * authoritative.
   */
  restorePut(rev: Revision, created: number, version: number): void {
    this.assertNewer(rev);
    if (this.putFlat(rev, created, version)) return;
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

  /**
   * The live generation's created revision, as get() at the newest revision answers it,
   * without its objects. Only for a live key (right after a put).
   */
  liveCreated(): number {
    const flat = this.flat;
    return flat !== undefined ? flatCreated(flat) : this.live()!.created;
  }

  /** The live generation's version (see liveCreated). */
  liveVersion(): number {
    const flat = this.flat;
    return flat !== undefined ? flatVersion(flat) : this.live()!.version;
  }

  /** The key as a read at main revision `atRev` sees it, or undefined if absent then. */
  get(atRev: number): KeyAt | undefined {
    const flat = this.flat;
    if (flat !== undefined) {
      if (typeof flat === 'number') {
        // One put, created there: seen from its revision on.
        return flat <= atRev ? { modified: { main: flat, sub: 0 }, created: flat, version: 1 } : undefined;
      }
      if (flat[0]! > atRev) return undefined; // created later
      const j = flatNewestAtOrBefore(flat, atRev, PAIRS);
      if (j < 0) return undefined; // trimmed by compaction, as below
      const putsAfter = (flat.length - PAIRS) / 2 - 1 - j;
      const at = PAIRS + 2 * j;
      return { modified: { main: flat[at]!, sub: flat[at + 1]! }, created: flat[0]!, version: flat[1]! - putsAfter };
    }
    const gens = this.gens;
    for (let i = gens.length - 1; i >= 0; i--) {
      const g = gens[i]!;
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
    const whole = this.flat;
    if (whole !== undefined) {
      // A live generation always survives; it loses the puts before the one a read at atRev sees.
      let flat = flatPairs(whole);
      const from = Math.max(0, flatNewestAtOrBefore(flat, atRev));
      if (from > 0) {
        flat = flat.slice(2 * from);
        this.hist = makeFlat(flat, flatCreated(whole), flatVersion(whole));
      }
      if (flat[0]! <= atRev) keep.add(revId({ main: flat[0]!, sub: flat[1]! }));
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
    const whole = this.flat;
    if (whole !== undefined) {
      const flat = flatPairs(whole);
      const from = 2 * Math.max(0, flatNewestAtOrBefore(flat, atRev));
      if (flat[from]! <= atRev) keep.add(revId({ main: flat[from]!, sub: flat[from + 1]! }));
      return;
    }
    const plan = this.plan(atRev);
    this.gens.forEach((g, i) => {
      const from = plan[i]!;
      if (from >= 0 && g.revs[from]!.main <= atRev) keep.add(revId(g.revs[from]!));
    });
  }

  private assertNewer(rev: Revision): void {
    const gens = this.gens;
    const g = gens[gens.length - 1];
    const flat = this.flat;
    const newest =
      typeof flat === 'number' ? { main: flat, sub: 0 } : flat ? { main: flat[flat.length - 2]!, sub: flat[flat.length - 1]! } : g?.revs[g.revs.length - 1];
    if (newest && compareRev(rev, newest) <= 0) {
      throw new Error(`mvcc: revision ${revId(rev)} is not newer than ${revId(newest)}`);
    }
  }
}
