// The multi-version key-value store: an in-memory ordered index from key to its
// revision history (tree-index.ts, key-index.ts), and the values in the backend's `key`
// bucket under their revisions (revision.ts, kv-codec.ts). Reads at any revision back to
// the compaction point; writes in transactions that each make exactly one new revision
// (kv-txn.ts).
//
// Revision numbers: an empty store is at revision 1 (as etcd), so the first change is
// revision 2. compact(c) makes reads below c fail with ErrCompacted.
//
// Everything the store writes (values, tombstones, the consistent index, compaction
// marks) goes through the backend's batch buffer, so a write transaction and the
// consistent index recorded after it reach the file in one LMDB transaction.

import { hashRevSeconds, hashSeconds, indexCompactionPauseMs } from '../metrics/registry.js';
import type { Backend } from '../storage/backend.js';
import { ErrCompacted, ErrFutureRev } from './errors.js';
import type { KeyIndex } from './key-index.js';
import { decodeKeyValue, encodeKeyValueAdopting, encodeTombstone } from './kv-codec.js';
import { META_FINISHED_COMPACT, META_SCHEDULED_COMPACT, physicalCompaction, COMPACTION_BATCH } from './kv-compaction.js';
import { hashKeyBucket } from './kv-hash.js';
import { ReadTxn, WriteTxn, type TxnHost } from './kv-txn.js';
import { decodeRev, encodeRev, revKeyString, revStart, type Revision } from './revision.js';
import { TreeIndex } from './tree-index.js';
import type { HashResult, KeyValue, StoreEvent } from './types.js';

export { ErrCompacted, ErrFutureRev } from './errors.js';
export { ReadTxn, WriteTxn } from './kv-txn.js';
export { COMPACTION_BATCH } from './kv-compaction.js';
export * from './types.js';

export const META_CONSISTENT_INDEX = Buffer.from('consistent_index');
export const META_TERM = Buffer.from('term');
/** Rows of the key bucket read at start-up between yields to the event loop. */
export const RESTORE_BATCH = 10_000;

export interface KVStoreOptions {
  /** Revisions examined per physical compaction batch (tests make it small). */
  compactionBatch?: number;
}

export type EventListener = (events: StoreEvent[], rev: number) => void;

function u64(n: number): Buffer {
  // allocUnsafe: all 8 bytes are written; two 32-bit halves spare a BigInt per call.
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(Math.floor(n / 2 ** 32), 0);
  b.writeUInt32BE(n >>> 0, 4);
  return b;
}

/** A big-endian number from the first 8 bytes (u64 values and 17-byte revisions alike). */
function readMain(b: Buffer | undefined): number {
  if (!b || b.length < 8) return 0;
  return Number(b.readBigUInt64BE(0));
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class KVStore implements TxnHost {
  private index = new TreeIndex();
  private currentRev = 1;
  private compactMainRev = 0;
  private cachedConsistentIndex = 0;
  private cachedTerm = 0;
  private readonly listeners: EventListener[] = [];
  /** Whether a put's event must carry the key's previous value (see setPrevKvWanted). */
  private prevKvWanted: () => boolean = () => true;
  /** Physical compactions run one after another, in the order scheduled. */
  private compactionTail: Promise<void> = Promise.resolve();
  private readonly compactionBatch: number;

  private constructor(
    private readonly backend: Backend,
    opts: KVStoreOptions,
  ) {
    this.compactionBatch = opts.compactionBatch ?? COMPACTION_BATCH;
  }

  /**
   * Opens the store over a backend: rebuilds the index from the key bucket, reapplies
   * the last compaction and resumes its physical part if it was cut short (in the
   * background; see compactionDone()).
   */
  static async open(backend: Backend, opts: KVStoreOptions = {}): Promise<KVStore> {
    const s = new KVStore(backend, opts);
    await s.restore();
    return s;
  }

  /**
   * Rebuilds everything in memory from the backend, after the backend was replaced by a
   * raft snapshot's db. Any physical compaction still running on the old file is waited
   * for first (call this before replacing the backend too). Listeners stay subscribed.
   */
  async reload(): Promise<void> {
    await this.compactionDone();
    this.index = new TreeIndex();
    this.currentRev = 1;
    this.compactMainRev = 0;
    // Without yielding: the backend was just swapped, and a read served between the swap
    // and the end of the rebuild would look up old revisions in the new file (or see half
    // an index). Blocking the loop for the rebuild is what etcd's store lock does too.
    await this.restore(false);
  }

  private async restore(yielding = true): Promise<void> {
    this.cachedConsistentIndex = readMain(this.backend.get('meta', META_CONSISTENT_INDEX));
    this.cachedTerm = readMain(this.backend.get('meta', META_TERM));
    const view = this.backend.readView();
    try {
      let n = 0;
      for (const { key, value } of view.iterate('key')) {
        const { rev, tombstone } = decodeRev(key);
        const kv = decodeKeyValue(value);
        if (tombstone) {
          // A tombstone with no live generation is left by a physical compaction that was
          // cut short after deleting the generation's puts; the resumed one removes it.
          this.index.get(kv.key)?.tombstone(rev);
        } else {
          this.index.getOrCreate(kv.key).restorePut(rev, kv.createRevision, kv.version);
        }
        if (rev.main > this.currentRev) this.currentRev = rev.main;
        if (yielding && ++n % RESTORE_BATCH === 0) await yieldToLoop();
      }
    } finally {
      view.done();
    }
    const finished = readMain(this.backend.get('meta', META_FINISHED_COMPACT));
    const scheduled = readMain(this.backend.get('meta', META_SCHEDULED_COMPACT));
    // A compaction may have removed every row up to its revision; the store never goes back.
    this.currentRev = Math.max(this.currentRev, finished, scheduled);
    if (finished > 0) {
      this.compactMainRev = finished;
      this.index.compact(finished);
    }
    if (scheduled > finished) {
      this.compactMainRev = scheduled;
      const keep = this.index.compact(scheduled);
      this.schedulePhysical(scheduled, keep).catch(() => undefined);
    }
  }

  /** The current revision: that of the last write transaction that changed something. */
  rev(): number {
    return this.currentRev;
  }

  /** Reads below this revision fail with ErrCompacted; 0 before any compaction. */
  compactRev(): number {
    return this.compactMainRev;
  }

  /**
   * Who consumes events tells whether a put's event needs the key's previous value (read
   * back from the backend: the costliest part of overwriting a key). Until set, always.
   */
  setPrevKvWanted(wanted: () => boolean): void {
    this.prevKvWanted = wanted;
  }

  wantsPrevKv(): boolean {
    return this.prevKvWanted();
  }

  /** Called after each write transaction that changed something, with its events. Returns an unsubscribe. */
  onEvents(listener: EventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  // ---- consistent index ----

  /** The raft index of the last entry applied to this store (0 for a new store). */
  consistentIndex(): number {
    return this.cachedConsistentIndex;
  }

  /** The term of that entry. */
  consistentTerm(): number {
    return this.cachedTerm;
  }

  /** Recorded in the backend buffer after the writes it covers, so in the same batch. */
  setConsistentIndex(index: number, term: number): void {
    this.cachedConsistentIndex = index;
    this.cachedTerm = term;
    this.backend.put('meta', META_CONSISTENT_INDEX, u64(index));
    this.backend.put('meta', META_TERM, u64(term));
  }

  /**
   * Moves the consistent index in memory only; a setConsistentIndex later in the same
   * synchronous stretch records it (the applier's batches, see Applier.applyEntries).
   */
  noteConsistentIndex(index: number, term: number): void {
    this.cachedConsistentIndex = index;
    this.cachedTerm = term;
  }

  // ---- transactions ----

  read(): ReadTxn {
    return new ReadTxn(this);
  }

  write(): WriteTxn {
    return new WriteTxn(this);
  }

  // ---- TxnHost: what transactions use ----

  visit(key: Buffer, end: Buffer, visit: (ki: KeyIndex) => boolean): void {
    this.index.visit(key, end, visit);
  }

  indexEntry(key: Buffer): KeyIndex {
    return this.index.getOrCreate(key);
  }

  valueAt(rev: Revision): KeyValue {
    const raw = this.backend.get('key', encodeRev(rev));
    if (!raw) throw new Error(`mvcc: revision ${rev.main}_${rev.sub} missing from the backend`);
    return decodeKeyValue(raw);
  }

  storePut(rev: Revision, kv: KeyValue): void {
    this.backend.putKeyString('key', revKeyString(rev), encodeKeyValueAdopting(kv));
  }

  storeTombstone(rev: Revision, key: Buffer): void {
    this.backend.put('key', encodeRev(rev, true), encodeTombstone(key));
  }

  finishWrite(rev: number, events: StoreEvent[]): void {
    this.currentRev = rev;
    for (const l of this.listeners) l(events, rev);
  }

  // ---- compaction ----

  /**
   * Compacts history before `rev`. Validates and applies to the index at once (reads
   * below `rev` fail from the moment this returns), records the compaction as scheduled
   * in the backend, then deletes the invisible revisions from the backend in the
   * background. Throws ErrCompacted when `rev` <= the current compaction revision and
   * ErrFutureRev when `rev` > the current revision; the promise resolves when the
   * physical deletion has finished (what `compact --physical` waits for).
   */
  compact(rev: number): Promise<void> {
    if (rev <= this.compactMainRev) throw new ErrCompacted();
    if (rev > this.currentRev) throw new ErrFutureRev();
    this.compactMainRev = rev;
    this.backend.put('meta', META_SCHEDULED_COMPACT, revStart(rev));
    const began = performance.now();
    const keep = this.index.compact(rev);
    indexCompactionPauseMs.observe(Math.floor(performance.now() - began));
    return this.schedulePhysical(rev, keep);
  }

  private schedulePhysical(rev: number, keep: Set<string>): Promise<void> {
    const job = this.compactionTail.then(() => physicalCompaction(this.backend, rev, keep, this.compactionBatch));
    this.compactionTail = job.catch(() => undefined);
    return job;
  }

  /** Resolves when every physical compaction scheduled so far has finished. */
  compactionDone(): Promise<void> {
    return this.compactionTail;
  }

  // ---- hashes ----

  /**
   * HashKV: hash of the key bucket up to `rev` (0: the current revision), see kv-hash.ts.
   * Errors as etcd 3.4: ErrCompacted at or below the compaction revision, ErrFutureRev
   * past the current one.
   */
  hashByRev(rev: number): Promise<HashResult> {
    const current = this.currentRev;
    const compactRev = this.compactMainRev;
    if (rev > 0 && rev <= compactRev) return Promise.reject(new ErrCompacted());
    if (rev > current) return Promise.reject(new ErrFutureRev());
    const at = rev <= 0 ? current : rev;
    const began = performance.now();
    const keep = this.index.keep(at);
    return hashKeyBucket(this.backend, at, compactRev, keep).then((hash) => {
      hashRevSeconds.observe((performance.now() - began) / 1000);
      return { hash, revision: current, compactRevision: compactRev };
    });
  }

  /** Hash of the whole backend (every bucket) except the consistent index and term, which are per member. */
  async hash(): Promise<HashResult> {
    const revision = this.currentRev;
    const compactRevision = this.compactMainRev;
    const began = performance.now();
    const hash = await this.backend.hash((bucket, key) => bucket === 'meta' && (key.equals(META_CONSISTENT_INDEX) || key.equals(META_TERM)));
    hashSeconds.observe((performance.now() - began) / 1000);
    return { hash, revision, compactRevision };
  }

  /** Number of keys in the index (live, or deleted with history not yet compacted). */
  keyCount(): number {
    return this.index.size;
  }
}
