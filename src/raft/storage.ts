// The stable part of the raft log as the core reads it. The driver appends to it what
// it has persisted (after the WAL fsync); the core never writes it.
//
// MemoryStorage keeps entries after the last snapshot in an array whose element 0 is a
// dummy entry standing for the snapshot point: ents[i] has index ents[0].index + i.

import { ErrCompacted, ErrSnapOutOfDate, ErrUnavailable } from './errors.js';
import { EntryType, NONE, type ConfState, type Entry, type HardState, type Snapshot } from './types.js';

export interface RaftStorage {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries [lo, hi), cut to about maxSizeBytes (at least one entry). */
  entries(lo: number, hi: number, maxSizeBytes: number): Entry[];
  term(i: number): number;
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;
}

export function entrySize(e: Entry): number {
  return e.data.length + 24;
}

/** Keeps a prefix of `ents` whose total size stays within maxSizeBytes (never empty). */
export function limitSize(ents: Entry[], maxSizeBytes: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0]!);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySize(ents[n]!);
    if (size > maxSizeBytes) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

export class MemoryStorage implements RaftStorage {
  private hardState: HardState = { term: 0, vote: NONE, commit: 0 };
  private snap: Snapshot = { data: new Uint8Array(), metadata: { confState: { voters: [], learners: [] }, index: 0, term: 0 } };
  /** ents[0] is a dummy at the snapshot index. */
  private ents: Entry[] = [{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array() }];

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.hardState }, confState: this.snap.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  private offset(): number {
    return this.ents[0]!.index;
  }

  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    const off = this.offset();
    if (lo <= off) throw new ErrCompacted();
    if (hi > this.lastIndex() + 1) throw new ErrUnavailable();
    return limitSize(this.ents.slice(lo - off, hi - off), maxSizeBytes);
  }

  term(i: number): number {
    const off = this.offset();
    if (i < off) throw new ErrCompacted();
    if (i - off >= this.ents.length) throw new ErrUnavailable();
    return this.ents[i - off]!.term;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  applySnapshot(snap: Snapshot): void {
    if (snap.metadata.index <= this.snap.metadata.index) throw new ErrSnapOutOfDate();
    this.snap = snap;
    this.ents = [{ term: snap.metadata.term, index: snap.metadata.index, type: EntryType.Normal, data: new Uint8Array() }];
  }

  /** Records a snapshot at applied index `i` (<= last index) for followers that fall behind. */
  createSnapshot(i: number, cs: ConfState, data: Uint8Array): Snapshot {
    if (i <= this.snap.metadata.index) throw new ErrSnapOutOfDate();
    if (i > this.lastIndex()) throw new ErrUnavailable();
    this.snap = { data, metadata: { index: i, term: this.term(i), confState: cs } };
    return this.snap;
  }

  /** Discards entries before `compactIndex`; the entry at it becomes the new dummy. */
  compact(compactIndex: number): void {
    const off = this.offset();
    if (compactIndex <= off) throw new ErrCompacted();
    if (compactIndex > this.lastIndex()) throw new ErrUnavailable();
    const i = compactIndex - off;
    const dummy = { ...this.ents[i]!, data: new Uint8Array(), type: EntryType.Normal };
    this.ents = [dummy, ...this.ents.slice(i + 1)];
  }

  /** Appends persisted entries, replacing any conflicting suffix. */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return;
    if (first > entries[0]!.index) entries = entries.slice(first - entries[0]!.index);
    const off = entries[0]!.index - this.offset();
    if (off > this.ents.length) throw new Error(`raft: missing log entry [last: ${this.lastIndex()}, append at: ${entries[0]!.index}]`);
    // In place: entries() hands out copies, and the log holds up to --snapshot-count
    // entries, which a copy per append would move again on every Ready. Truncated only when
    // the new entries overwrite a tail: writing an array's length goes through a V8 runtime
    // call even when it does not change, and a plain append (every Ready of a leader) needs none.
    if (off < this.ents.length) this.ents.length = off;
    for (const e of entries) this.ents.push(e);
  }
}
