// The multi-version key-value store: an in-memory ordered index from key to its
// revision history (key-index.ts), and the values in the backend's `key` bucket under
// their revisions (revision.ts). Reads at any revision back to the compaction point;
// writes in transactions that each make exactly one new revision.
//
// Concurrency: the member applies entries on one thread, and a write transaction runs
// from write() to end() without yielding, so no read can observe half a transaction.

import sortedBtree from 'sorted-btree';
import { KeyValue } from '../gen/mvccpb/kv.js';
import type { Backend } from '../storage/backend.js';
import { KeyIndex, type RemovedRev } from './key-index.js';
import { decodeRev, encodeRev, type Revision } from './revision.js';
import { ErrCompacted, ErrFutureRev } from './errors.js';

// sorted-btree is CommonJS with its class on `default`.
const BTree = sortedBtree.default;
type Index = import('sorted-btree').default<string, KeyIndex>;

/** Revisions deleted per backend batch during physical compaction, between yields to the event loop. */
export const COMPACTION_BATCH = 1000;

const META_CONSISTENT_INDEX = Buffer.from('consistent_index');
const META_TERM = Buffer.from('term');
const META_SCHEDULED_COMPACT = Buffer.from('scheduledCompactRev');
const META_FINISHED_COMPACT = Buffer.from('finishedCompactRev');

export interface StoredKv {
  key: Buffer;
  value: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: bigint;
}

export enum EventType {
  Put = 0,
  Delete = 1,
}

export interface StoreEvent {
  type: EventType;
  /** For a delete: the key with modRevision set to the deletion revision. */
  kv: StoredKv;
  prevKv?: StoredKv;
}

export interface RangeOptions {
  rev?: number;
  limit?: number;
  countOnly?: boolean;
}

export interface RangeResult {
  kvs: StoredKv[];
  count: number;
  rev: number;
}

function keyString(key: Buffer): string {
  return key.toString('latin1');
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(Math.floor(n / 2 ** 32), 0);
  b.writeUInt32BE(n >>> 0, 4);
  return b;
}

function readU64(b: Buffer | undefined): number {
  if (!b || b.length < 8) return 0;
  return b.readUInt32BE(0) * 2 ** 32 + b.readUInt32BE(4);
}

function toStored(kv: KeyValue): StoredKv {
  return {
    key: kv.key,
    value: kv.value,
    createRevision: Number(kv.createRevision),
    modRevision: Number(kv.modRevision),
    version: Number(kv.version),
    lease: kv.lease,
  };
}

function encodeKv(kv: StoredKv): Buffer {
  return Buffer.from(
    KeyValue.encode({
      key: kv.key,
      value: kv.value,
      createRevision: BigInt(kv.createRevision),
      modRevision: BigInt(kv.modRevision),
      version: BigInt(kv.version),
      lease: kv.lease,
    }).finish(),
  );
}

export class KVStore {
  private readonly index: Index = new BTree<string, KeyIndex>();
  private currentRev = 1;
  private compactMainRev = 0;
  private listeners: ((events: StoreEvent[], rev: number) => void)[] = [];
  private compactionChain: Promise<void> = Promise.resolve();

  private constructor(private readonly backend: Backend) {}

  /** Opens the store over a backend, rebuilding the index and finishing an interrupted compaction. */
  static async open(backend: Backend): Promise<KVStore> {
    const s = new KVStore(backend);
    await s.restore();
    return s;
  }

  private async restore(): Promise<void> {
    for (const { key, value } of await this.backend.scan('key')) {
      const { rev, tombstone } = decodeRev(key);
      const kv = KeyValue.decode(value);
      const k = keyString(kv.key);
      let ki = this.index.get(k);
      if (!ki) {
        ki = new KeyIndex(Buffer.from(kv.key));
        this.index.set(k, ki);
      }
      if (tombstone) ki.tombstone(rev);
      else ki.put(rev, { created: { main: Number(kv.createRevision), sub: 0 }, version: Number(kv.version) });
      if (rev.main > this.currentRev) this.currentRev = rev.main;
    }
    const finished = readU64(this.backend.get('meta', META_FINISHED_COMPACT));
    const scheduled = readU64(this.backend.get('meta', META_SCHEDULED_COMPACT));
    const compactTo = Math.max(finished, scheduled);
    if (compactTo > this.currentRev) this.currentRev = compactTo;
    if (compactTo > 0) {
      this.compactMainRev = compactTo;
      // Redo the logical part; the physical part resumes if it had not finished.
      const removed = this.compactIndex(compactTo);
      if (scheduled > finished) await this.physicalCompaction(removed, compactTo);
    }
  }

  rev(): number {
    return this.currentRev;
  }

  compactRev(): number {
    return this.compactMainRev;
  }

  /** Called after each write transaction that changed something, with its events. */
  onEvents(listener: (events: StoreEvent[], rev: number) => void): void {
    this.listeners.push(listener);
  }

  consistentIndex(): number {
    return readU64(this.backend.get('meta', META_CONSISTENT_INDEX));
  }

  /** Stored in the same backend batch as the writes applied before it. */
  setConsistentIndex(index: number, term: number): void {
    this.backend.put('meta', META_CONSISTENT_INDEX, u64(index));
    this.backend.put('meta', META_TERM, u64(term));
  }

  read(): ReadTxn {
    return new ReadTxn(this);
  }

  write(): WriteTxn {
    return new WriteTxn(this);
  }

  // ---- internals shared by transactions ----

  /** Visits index entries for [key, end) in key order; `visit` returns false to stop. */
  visit(key: Buffer, end: Buffer, visit: (ki: KeyIndex) => boolean): void {
    if (end.length === 0) {
      const ki = this.index.get(keyString(key));
      if (ki) visit(ki);
      return;
    }
    const lo = keyString(key);
    const hi = end.length === 1 && end[0] === 0 ? undefined : keyString(end);
    if (hi !== undefined && hi <= lo) return;
    for (const [k, ki] of this.index.entries(lo)) {
      if (hi !== undefined && k >= hi) break;
      if (!visit(ki)) break;
    }
  }

  rangeAt(key: Buffer, end: Buffer, atRev: number, opts: RangeOptions): RangeResult {
    let rev = opts.rev ?? 0;
    if (rev <= 0) rev = atRev;
    else if (rev > atRev) throw new ErrFutureRev();
    if (rev < this.compactMainRev) throw new ErrCompacted();
    const limit = opts.limit ?? 0;
    const kvs: StoredKv[] = [];
    let count = 0;
    this.visit(key, end, (ki) => {
      const at = ki.get(rev);
      if (!at) return true;
      count++;
      if (!opts.countOnly && (limit <= 0 || kvs.length < limit)) {
        kvs.push(this.valueAt(at.modified));
      }
      return true;
    });
    return { kvs, count, rev: atRev };
  }

  valueAt(rev: Revision): StoredKv {
    const raw = this.backend.get('key', encodeRev(rev));
    if (!raw) throw new Error(`mvcc: revision ${rev.main}_${rev.sub} missing from the backend`);
    return toStored(KeyValue.decode(raw));
  }

  indexEntry(key: Buffer, create: boolean): KeyIndex | undefined {
    const k = keyString(key);
    let ki = this.index.get(k);
    if (!ki && create) {
      ki = new KeyIndex(Buffer.from(key));
      this.index.set(k, ki);
    }
    return ki;
  }

  storeRevision(rev: Revision, kv: StoredKv, tombstone: boolean): void {
    this.backend.put('key', encodeRev(rev, tombstone), encodeKv(kv));
  }

  finishWrite(rev: number, events: StoreEvent[]): void {
    this.currentRev = rev;
    for (const l of this.listeners) l(events, rev);
  }

  // ---- compaction ----

  /**
   * Compacts history before `rev`: validated and applied to the index at once (reads
   * below `rev` fail from now on), then the invisible revisions are deleted from the
   * backend in batches. Resolves when the deletion is done.
   */
  compact(rev: number): Promise<void> {
    if (rev <= this.compactMainRev) throw new ErrCompacted();
    if (rev > this.currentRev) throw new ErrFutureRev();
    this.compactMainRev = rev;
    this.backend.put('meta', META_SCHEDULED_COMPACT, u64(rev));
    const removed = this.compactIndex(rev);
    const job = this.compactionChain.then(() => this.physicalCompaction(removed, rev));
    this.compactionChain = job.catch(() => undefined);
    return job;
  }

  private compactIndex(rev: number): RemovedRev[] {
    const removed: RemovedRev[] = [];
    const empty: string[] = [];
    for (const [k, ki] of this.index.entries()) {
      if (!ki.compact(rev, removed)) empty.push(k);
    }
    for (const k of empty) this.index.delete(k);
    return removed;
  }

  private async physicalCompaction(removed: RemovedRev[], rev: number): Promise<void> {
    for (let i = 0; i < removed.length; i += COMPACTION_BATCH) {
      for (const r of removed.slice(i, i + COMPACTION_BATCH)) this.backend.delete('key', encodeRev(r.rev, r.tombstone));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.backend.put('meta', META_FINISHED_COMPACT, u64(rev));
    await this.backend.commit();
  }

  /** Number of keys in the index (live or with history). */
  keyCount(): number {
    return this.index.size;
  }
}

/** A read of the newest state; reads never block writes (the index is only appended to). */
export class ReadTxn {
  private readonly atRev: number;
  constructor(private readonly store: KVStore) {
    this.atRev = store.rev();
  }
  range(key: Buffer, end: Buffer, opts: RangeOptions): RangeResult {
    return this.store.rangeAt(key, end, this.atRev, opts);
  }
  rev(): number {
    return this.atRev;
  }
  end(): void {}
}

/** One write transaction: every change it makes shares main revision beginRev + 1. */
export class WriteTxn {
  private readonly beginRev: number;
  private readonly events: StoreEvent[] = [];
  private ended = false;

  constructor(private readonly store: KVStore) {
    this.beginRev = store.rev();
  }

  /** The revision this transaction's reads see: its own writes included. */
  rev(): number {
    return this.events.length > 0 ? this.beginRev + 1 : this.beginRev;
  }

  range(key: Buffer, end: Buffer, opts: RangeOptions): RangeResult {
    return this.store.rangeAt(key, end, this.rev(), opts);
  }

  private nextRev(): Revision {
    return { main: this.beginRev + 1, sub: this.events.length };
  }

  put(key: Buffer, value: Buffer, lease: bigint): void {
    const ki = this.store.indexEntry(key, true)!;
    const prevAt = ki.get(this.rev());
    const prevKv = prevAt ? this.store.valueAt(prevAt.modified) : undefined;
    const rev = this.nextRev();
    ki.put(rev);
    const at = ki.get(rev.main)!;
    const kv: StoredKv = {
      key: Buffer.from(key),
      value: Buffer.from(value),
      createRevision: at.created.main,
      modRevision: rev.main,
      version: at.version,
      lease,
    };
    this.store.storeRevision(rev, kv, false);
    this.events.push({ type: EventType.Put, kv, prevKv });
  }

  deleteRange(key: Buffer, end: Buffer): number {
    const live: KeyIndex[] = [];
    this.store.visit(key, end, (ki) => {
      if (ki.isLive()) live.push(ki);
      return true;
    });
    for (const ki of live) {
      const prevAt = ki.get(this.rev())!;
      const prevKv = this.store.valueAt(prevAt.modified);
      const rev = this.nextRev();
      ki.tombstone(rev);
      const kv: StoredKv = { key: ki.key, value: Buffer.alloc(0), createRevision: 0, modRevision: rev.main, version: 0, lease: 0n };
      this.store.storeRevision(rev, kv, true);
      this.events.push({ type: EventType.Delete, kv, prevKv });
    }
    return live.length;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.events.length > 0) this.store.finishWrite(this.beginRev + 1, this.events);
  }
}

