// The raft log as the core sees it: entries in RaftStorage (persisted by the driver),
// followed by the Unstable tail.
//
// Invariants: firstIndex() - 1 <= applied <= committed <= lastIndex().
// term(i) is known for firstIndex() - 1 <= i <= lastIndex() (the entry just before the
// first is the snapshot point).

import { ErrCompacted, ErrUnavailable } from './errors.js';
import { Unstable } from './log-unstable.js';
import { entrySize, limitSize, type RaftStorage } from './storage.js';
import type { Entry, Snapshot } from './types.js';

export class RaftLog {
  readonly unstable: Unstable;
  /** Highest index known to be committed (on a quorum's stable storage). */
  committed: number;
  /** Highest index the application has applied (acknowledged through advance()). */
  applied: number;

  constructor(
    readonly storage: RaftStorage,
    /** Upper bound, in bytes, of committed entries handed out per Ready (at least one entry). */
    readonly maxCommittedSizePerReady: number,
  ) {
    const first = storage.firstIndex();
    this.unstable = new Unstable(storage.lastIndex() + 1);
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** Last index that is on stable storage (everything below the unstable tail). */
  lastStableIndex(): number {
    return this.unstable.offset - 1;
  }

  /** Term of entry i. Throws ErrCompacted / ErrUnavailable outside [firstIndex-1, lastIndex]. */
  term(i: number): number {
    const dummy = this.firstIndex() - 1;
    if (i < dummy) throw new ErrCompacted();
    if (i > this.lastIndex()) throw new ErrUnavailable();
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    return this.storage.term(i);
  }

  /** The term of entry i, or undefined outside [firstIndex-1, lastIndex] (no exception: this is on hot paths). */
  maybeTerm(i: number): number | undefined {
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return undefined;
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    try {
      return this.storage.term(i);
    } catch (err) {
      if (err instanceof ErrCompacted || err instanceof ErrUnavailable) return undefined;
      throw err;
    }
  }

  /** Like term(), but 0 where the term is unknown (compacted or beyond the end). */
  termOrZero(i: number): number {
    return this.maybeTerm(i) ?? 0;
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  matchTerm(i: number, t: number): boolean {
    return this.maybeTerm(i) === t;
  }

  /** Raft §5.4.1: a log ending at (lastIndex, term) is at least as up to date as ours. */
  isUpToDate(lastIndex: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Appends a leader's entries that follow (index, logTerm) if our log matches there
   * (Raft §5.3, the consistency check). Returns the index of the last new entry, or
   * undefined on mismatch.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) throw new Error(`raft: entry ${ci} conflicts with committed entry [committed(${this.committed})]`);
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  /**
   * The index of the first of `ents` that is not in our log with the same term, or 0 if
   * all are. Entries already present are not rewritten (Raft §5.3: only a conflicting
   * suffix is truncated).
   */
  findConflict(ents: Entry[]): number {
    for (const e of ents) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }

  /**
   * Fast backtracking: the largest index <= `index` whose term is <= `term`, with its term
   * (0 where unknown). A follower rejecting an append at (index, term) answers with it,
   * and a leader uses it to skip a whole term of mismatching entries per round trip.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (; index > 0; index--) {
      const t = this.maybeTerm(index);
      if (t === undefined) return { index, term: 0 };
      if (t <= term) return { index, term: t };
    }
    return { index: 0, term: 0 };
  }

  /** Appends entries (whose indexes are already assigned) after a possible truncation. */
  append(ents: Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (after < this.committed) throw new Error(`raft: after(${after}) is out of range [committed(${this.committed})]`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries.slice();
  }

  /** Entries from i to the end, about maxSizeBytes at most (at least one entry). */
  entries(i: number, maxSizeBytes: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxSizeBytes);
  }

  /** Entries [lo, hi), about maxSizeBytes at most (at least one). Throws ErrCompacted below firstIndex. */
  slice(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    if (lo > hi) throw new Error(`raft: invalid slice ${lo} > ${hi}`);
    if (lo === hi) return [];
    if (lo < this.firstIndex()) throw new ErrCompacted();
    if (hi > this.lastIndex() + 1) throw new Error(`raft: slice[${lo},${hi}) out of bound [${this.firstIndex()},${this.lastIndex()}]`);
    let out: Entry[] = [];
    const off = this.unstable.offset;
    if (lo < off) {
      const stableHi = Math.min(hi, off);
      out = this.storage.entries(lo, stableHi, maxSizeBytes);
      // The storage cut the batch short: the size limit is reached.
      if (out.length < stableHi - lo) return out;
    }
    if (hi > off) {
      const tail = this.unstable.slice(Math.max(lo, off), hi);
      out = out.length > 0 ? out.concat(tail) : tail;
    }
    return limitSize(out, maxSizeBytes);
  }

  commitTo(c: number): void {
    if (c <= this.committed) return;
    if (c > this.lastIndex()) throw new Error(`raft: tocommit(${c}) is out of range [lastIndex(${this.lastIndex()})]`);
    this.committed = c;
  }

  /** Raft §5.4.2: a leader commits by counting replicas only entries of its own term. */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.termOrZero(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  hasNextCommittedEnts(): boolean {
    return this.committed > this.applied && this.committed >= this.firstIndex() && !this.hasPendingSnapshot();
  }

  /** Committed entries not yet applied, bounded by maxCommittedSizePerReady. */
  nextCommittedEnts(): Entry[] {
    if (!this.hasNextCommittedEnts()) return [];
    const lo = Math.max(this.applied + 1, this.firstIndex());
    return this.slice(lo, this.committed + 1, this.maxCommittedSizePerReady);
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  appliedTo(i: number): void {
    if (i === 0 || i === this.applied) return;
    if (i > this.committed || i < this.applied) {
      throw new Error(`raft: applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`);
    }
    this.applied = i;
  }

  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** The newest snapshot: the unstable one, else storage's. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** Sum of payload sizes, in bytes, as counted for flow control. */
  static payloadBytes(ents: Entry[]): number {
    let n = 0;
    for (const e of ents) n += entrySize(e);
    return n;
  }
}
