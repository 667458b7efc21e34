// The history of one key as a list of generations. A generation is one life of the key:
// from the put that created it to the delete (tombstone) that ended it. The last
// generation is the live one, or empty when the key is currently deleted.
//
// Worked example. put(a)@1, put(a)@2, delete(a)@3, put(a)@4 gives
//
//   generation 0: created 1, revs [1, 2, 3(tombstone)]   versions 1, 2, then deleted
//   generation 1: created 4, revs [4]                     version 1
//
// get(atRev=2) → rev 2, version 2; get(atRev=3) → not found (deleted at 3);
// get(atRev=4) → rev 4, version 1, created 4.
//
// compact(3) drops everything a read at revision >= 3 can no longer see: generation 0
// ended at 3 <= 3, so all of it goes (its tombstone too), leaving only generation 1.
// compact(2) instead keeps rev 2 (the value visible at 2) and the tombstone:
// generation 0 becomes [2, 3(tombstone)]; rev 1 is removed from the backend.

import { compareRev, type Revision } from './revision.js';

export interface Generation {
  /** Version of the key at the newest rev of this generation (number of revs so far). */
  version: number;
  created: Revision;
  /** Revisions in increasing order; when `ended`, the last one is the tombstone. */
  revs: Revision[];
  ended: boolean;
}

export interface KeyAt {
  modified: Revision;
  created: Revision;
  version: number;
}

/** A revision removed by compaction, and whether it was stored as a tombstone. */
export interface RemovedRev {
  rev: Revision;
  tombstone: boolean;
}

export class KeyIndex {
  readonly generations: Generation[] = [];

  constructor(readonly key: Buffer) {}

  private live(): Generation | undefined {
    const g = this.generations[this.generations.length - 1];
    return g && !g.ended ? g : undefined;
  }

  isLive(): boolean {
    return this.live() !== undefined;
  }

  /** Records a put at `rev`; `created`/`version` override when restoring a compacted history. */
  put(rev: Revision, restore?: { created: Revision; version: number }): void {
    let g = this.live();
    if (!g) {
      g = { version: 0, created: restore?.created ?? rev, revs: [], ended: false };
      if (restore) g.version = restore.version - 1;
      this.generations.push(g);
    }
    g.revs.push(rev);
    g.version++;
  }

  /** Ends the live generation with a tombstone at `rev`. Returns false if the key is not live. */
  tombstone(rev: Revision): boolean {
    const g = this.live();
    if (!g) return false;
    g.revs.push(rev);
    g.ended = true;
    return true;
  }

  /** The key as a read at main revision `atRev` sees it, or undefined if absent then. */
  get(atRev: number): KeyAt | undefined {
    for (let i = this.generations.length - 1; i >= 0; i--) {
      const g = this.generations[i]!;
      if (g.revs.length === 0 || g.created.main > atRev) continue;
      const last = g.revs[g.revs.length - 1]!;
      if (g.ended && last.main <= atRev) return undefined; // deleted by then
      // Newest rev of this generation at or before atRev.
      for (let j = g.revs.length - 1; j >= 0; j--) {
        const r = g.revs[j]!;
        if (r.main <= atRev) {
          const newerInGen = g.revs.length - 1 - j - (g.ended ? 1 : 0);
          return { modified: r, created: g.created, version: g.version - newerInGen };
        }
      }
      return undefined;
    }
    return undefined;
  }

  /**
   * Removes the revisions no read at `atRev` or later can see, returning them. Returns
   * whether the key has any history left.
   */
  compact(atRev: number, removed: RemovedRev[]): boolean {
    const kept: Generation[] = [];
    for (const g of this.generations) {
      if (g.revs.length === 0) continue;
      const last = g.revs[g.revs.length - 1]!;
      if (g.ended && last.main <= atRev) {
        // The whole life ended at or before atRev: invisible to every later read.
        for (let i = 0; i < g.revs.length; i++) removed.push({ rev: g.revs[i]!, tombstone: i === g.revs.length - 1 });
        continue;
      }
      // Keep the newest rev <= atRev (what a read at atRev sees) and everything after it.
      let keepFrom = 0;
      for (let i = g.revs.length - 1; i >= 0; i--) {
        if (g.revs[i]!.main <= atRev) {
          keepFrom = i;
          break;
        }
      }
      for (let i = 0; i < keepFrom; i++) removed.push({ rev: g.revs[i]!, tombstone: false });
      g.revs = g.revs.slice(keepFrom);
      kept.push(g);
    }
    this.generations.length = 0;
    this.generations.push(...kept);
    return kept.length > 0;
  }

  /** Every revision still held, for hashing. */
  *allRevs(): Generator<{ rev: Revision; tombstone: boolean }> {
    for (const g of this.generations) {
      for (let i = 0; i < g.revs.length; i++) yield { rev: g.revs[i]!, tombstone: g.ended && i === g.revs.length - 1 };
    }
  }

  newestRev(): Revision | undefined {
    const g = this.generations[this.generations.length - 1];
    return g?.revs[g.revs.length - 1];
  }
}

export { compareRev };
