// The raft log as the core sees it: the stable part in RaftStorage, followed by
// unstable entries (accepted but not yet persisted by the driver).
//
// Invariants: applied <= committed <= lastIndex(); unstable entries start at
// `unstableOffset`, which is storage.lastIndex() + 1 once the driver has caught up.

import { ErrCompacted, ErrUnavailable } from './errors.js';
import { limitSize, type RaftStorage } from './storage.js';
import type { Entry, Snapshot } from './types.js';

export class RaftLog {
  /** Entries not yet persisted; unstable[i] has index unstableOffset + i. */
  unstable: Entry[] = [];
  unstableOffset: number;
  /** A snapshot received from the leader and not yet persisted. */
  unstableSnapshot: Snapshot | undefined;
  committed: number;
  applied: number;

  constructor(
    readonly storage: RaftStorage,
    readonly maxNextEntsSize: number,
  ) {
    const first = storage.firstIndex();
    this.unstableOffset = storage.lastIndex() + 1;
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    if (this.unstableSnapshot) return this.unstableSnapshot.metadata.index + 1;
    return this.storage.firstIndex();
  }

  lastIndex(): number {
    if (this.unstable.length > 0) return this.unstableOffset + this.unstable.length - 1;
    if (this.unstableSnapshot) return this.unstableSnapshot.metadata.index;
    return this.storage.lastIndex();
  }

  /** Term of entry i; 0 when i is outside the log (compacted or beyond the end). */
  term(i: number): number {
    const dummy = this.firstIndex() - 1;
    if (i < dummy || i > this.lastIndex()) return 0;
    if (i >= this.unstableOffset && i - this.unstableOffset < this.unstable.length) return this.unstable[i - this.unstableOffset]!.term;
    if (this.unstableSnapshot && i === this.unstableSnapshot.metadata.index) return this.unstableSnapshot.metadata.term;
    try {
      return this.storage.term(i);
    } catch (err) {
      if (err instanceof ErrCompacted || err instanceof ErrUnavailable) return 0;
      throw err;
    }
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  matchTerm(i: number, term: number): boolean {
    return this.term(i) === term;
  }

  /** Raft §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Appends leader entries after (index, logTerm); returns the new last index, or undefined on mismatch. */
  maybeAppend(index: number, logTerm: number, committed: number, ents: Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const conflict = this.findConflict(ents);
    if (conflict !== 0) {
      if (conflict <= this.committed) throw new Error(`raft: entry ${conflict} conflicts with committed entry [committed(${this.committed})]`);
      this.append(ents.slice(conflict - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  /** First index whose term differs from ours (or that we lack); 0 if all match. */
  private findConflict(ents: Entry[]): number {
    for (const e of ents) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }

  append(ents: Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (after < this.committed) throw new Error(`raft: after(${after}) is out of range [committed(${this.committed})]`);
    if (after + 1 === this.unstableOffset + this.unstable.length) {
      this.unstable.push(...ents);
    } else if (after + 1 <= this.unstableOffset) {
      // Replaces part of the stable log: the driver will overwrite it when persisting.
      this.unstableOffset = after + 1;
      this.unstable = [...ents];
    } else {
      this.unstable = this.unstable.slice(0, after + 1 - this.unstableOffset).concat(ents);
    }
    return this.lastIndex();
  }

  /** Entries [lo, hi), size-limited; reads unstable and stable parts. */
  slice(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    if (lo >= hi) return [];
    if (lo < this.firstIndex()) throw new ErrCompacted();
    const out: Entry[] = [];
    if (lo < this.unstableOffset) {
      out.push(...this.storage.entries(lo, Math.min(hi, this.unstableOffset), maxSizeBytes));
      if (out.length < Math.min(hi, this.unstableOffset) - lo) return out; // size-limited
    }
    if (hi > this.unstableOffset) {
      out.push(...this.unstable.slice(Math.max(lo, this.unstableOffset) - this.unstableOffset, hi - this.unstableOffset));
    }
    return limitSize(out, maxSizeBytes);
  }

  entriesFrom(i: number, maxSizeBytes: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxSizeBytes);
  }

  commitTo(c: number): void {
    if (c > this.committed) {
      if (c > this.lastIndex()) throw new Error(`raft: tocommit(${c}) is out of range [lastIndex(${this.lastIndex()})]`);
      this.committed = c;
    }
  }

  /** Commits up to maxIndex if that entry is from `term` (Raft §5.4.2: only current-term entries commit by counting). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.term(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  hasNextCommittedEnts(): boolean {
    return this.committed > this.applied;
  }

  nextCommittedEnts(): Entry[] {
    if (!this.hasNextCommittedEnts()) return [];
    return this.slice(Math.max(this.applied + 1, this.firstIndex()), this.committed + 1, this.maxNextEntsSize);
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    if (i > this.committed || i < this.applied) throw new Error(`raft: applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`);
    this.applied = i;
  }

  /** The driver persisted entries up to (i, t). */
  stableTo(i: number, t: number): void {
    const gt = this.term(i);
    if (gt === t && i >= this.unstableOffset && i < this.unstableOffset + this.unstable.length) {
      this.unstable = this.unstable.slice(i + 1 - this.unstableOffset);
      this.unstableOffset = i + 1;
    }
  }

  stableSnapTo(i: number): void {
    if (this.unstableSnapshot && this.unstableSnapshot.metadata.index === i) this.unstableSnapshot = undefined;
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstableOffset = s.metadata.index + 1;
    this.unstable = [];
    this.unstableSnapshot = s;
  }

  snapshot(): Snapshot {
    return this.unstableSnapshot ?? this.storage.snapshot();
  }
}
