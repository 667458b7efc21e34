// Read and write transactions over the store.
//
// A transaction runs from creation to end() without yielding to the event loop (every
// method is synchronous), so no other transaction interleaves with it: this is the
// single-threaded form of etcd's store lock. The lock order of etcd's store reduces to
// "one transaction at a time", which the event loop gives for free.
//
// Revisions: a write transaction begun at store revision R writes its changes at
// R+1.0, R+1.1, R+1.2... and the store moves to R+1 when it ends, only if it changed
// something. Its reads see its own earlier writes (they read at R+1 once a change is
// made); other transactions see none of them before end() (they read at <= R).
//
// Invariant: every write transaction is ended (callers end() in `finally`), or the
// revisions it put in the index would be reused by the next one.

import { countStoreTxn } from '../metrics/registry.js';
import { ErrCompacted, ErrFutureRev } from './errors.js';
import type { KeyIndex } from './key-index.js';
import type { Revision } from './revision.js';
import {
  EventType,
  type DeleteResult,
  type KeyValue,
  type RangeOptions,
  type RangeResult,
  type StoreEvent,
  type TxnRead,
  type TxnWrite,
} from './types.js';

/** What transactions need from the store; KVStore implements it. */
export interface TxnHost {
  rev(): number;
  compactRev(): number;
  visit(key: Buffer, end: Buffer, visit: (ki: KeyIndex) => boolean): void;
  indexEntry(key: Buffer): KeyIndex;
  /** False when no event consumer wants a put's previous value (it is then not read). */
  wantsPrevKv(): boolean;
  valueAt(rev: Revision): KeyValue;
  /** Stores `kv`, and points its key and value at the stored copies (the caller's Buffers are not kept). */
  storePut(rev: Revision, kv: KeyValue): void;
  storeTombstone(rev: Revision, key: Buffer): void;
  finishWrite(rev: number, events: StoreEvent[]): void;
}

/**
 * Range at `opts.rev` (0: `txnRev`) for a transaction whose current revision is `txnRev`.
 * Every matching key is visited to count it; `limit` bounds the values read and returned.
 */
export function rangeAt(host: TxnHost, key: Buffer, end: Buffer, txnRev: number, opts: RangeOptions): RangeResult {
  let rev = opts.rev ?? 0;
  if (rev > txnRev) throw new ErrFutureRev();
  if (rev <= 0) rev = txnRev;
  if (rev < host.compactRev()) throw new ErrCompacted();
  const limit = opts.limit ?? 0;
  const kvs: KeyValue[] = [];
  let count = 0;
  host.visit(key, end, (ki) => {
    const at = ki.get(rev);
    if (!at) return true;
    count++;
    if (!opts.countOnly && (limit <= 0 || kvs.length < limit)) kvs.push(host.valueAt(at.modified));
    return true;
  });
  return { kvs, count, rev: txnRev };
}

/** The changes of a write transaction that made none; shared, never pushed into. */
const NO_EVENTS: StoreEvent[] = [];

/**
 * A read of the newest state as of creation. Its ranges are counted when it ends (a
 * range that fails, with a future or compacted revision, counts too, as in etcd).
 */
export class ReadTxn implements TxnRead {
  private readonly atRev: number;
  private ranges = 0;

  constructor(private readonly host: TxnHost) {
    this.atRev = host.rev();
  }

  range(key: Buffer, end: Buffer, opts: RangeOptions): RangeResult {
    this.ranges++;
    return rangeAt(this.host, key, end, this.atRev, opts);
  }

  peek(key: Buffer, end: Buffer, opts: RangeOptions): RangeResult {
    return rangeAt(this.host, key, end, this.atRev, opts);
  }

  rev(): number {
    return this.atRev;
  }

  end(): void {
    if (this.ranges === 0) return;
    countStoreTxn(this.ranges, 0, 0, 0);
    this.ranges = 0;
  }
}

/** One write transaction: every change it makes shares main revision beginRev + 1. */
export class WriteTxn implements TxnWrite {
  private readonly beginRev: number;
  /** NO_EVENTS until the first change, then a one-element literal (see record()). */
  private events: StoreEvent[] = NO_EVENTS;
  private ended = false;
  // The ops counted when the transaction ends (see countStoreTxn).
  private ranges = 0;
  private puts = 0;
  private deletes = 0;
  private putBytes = 0;

  constructor(private readonly host: TxnHost) {
    this.beginRev = host.rev();
  }

  /** The revision this transaction's reads see: its own writes included. */
  rev(): number {
    return this.events.length > 0 ? this.beginRev + 1 : this.beginRev;
  }

  range(key: Buffer, end: Buffer, opts: RangeOptions): RangeResult {
    this.ranges++;
    return rangeAt(this.host, key, end, this.rev(), opts);
  }

  peek(key: Buffer, end: Buffer, opts: RangeOptions): RangeResult {
    return rangeAt(this.host, key, end, this.rev(), opts);
  }

  private nextRev(): Revision {
    this.assertOpen();
    return { main: this.beginRev + 1, sub: this.events.length };
  }

  put(key: Buffer, value: Buffer, lease: bigint): void {
    const rev = this.nextRev();
    this.puts++;
    this.putBytes += key.length + value.length;
    const ki = this.host.indexEntry(key);
    // The previous value only when an event consumer wants it: get() builds two objects.
    let prevKv: KeyValue | undefined;
    if (this.host.wantsPrevKv()) {
      const prevAt = ki.get(this.rev());
      if (prevAt) prevKv = this.host.valueAt(prevAt.modified);
    }
    ki.put(rev);
    // storePut copies key and value into the stored bytes and points kv at that copy.
    const kv: KeyValue = {
      key,
      value,
      createRevision: ki.liveCreated(),
      modRevision: rev.main,
      version: ki.liveVersion(),
      lease,
    };
    this.host.storePut(rev, kv);
    this.record(prevKv ? { type: EventType.Put, kv, prevKv } : { type: EventType.Put, kv });
  }

  /**
   * Adds a change. Most transactions make one: a one-element literal is an exact-size
   * array, where push() into [] reserves room for 16 more (~140 bytes a put).
   */
  private record(e: StoreEvent): void {
    if (this.events === NO_EVENTS) this.events = [e];
    else this.events.push(e);
  }

  deleteRange(key: Buffer, end: Buffer): number {
    return this.deleteRangeWithPrev(key, end).deleted;
  }

  deleteRangeWithPrev(key: Buffer, end: Buffer): DeleteResult {
    this.assertOpen();
    this.deletes++;
    const atRev = this.rev();
    const live: { ki: KeyIndex; prev: KeyValue }[] = [];
    this.host.visit(key, end, (ki) => {
      const at = ki.get(atRev);
      if (at) live.push({ ki, prev: this.host.valueAt(at.modified) });
      return true;
    });
    for (const { ki, prev } of live) {
      const rev = this.nextRev();
      ki.tombstone(rev);
      const deletedKey = prev.key;
      this.host.storeTombstone(rev, deletedKey);
      const kv: KeyValue = { key: deletedKey, value: Buffer.alloc(0), createRevision: 0, modRevision: rev.main, version: 0, lease: 0n };
      this.record({ type: EventType.Delete, kv, prevKv: prev });
    }
    return { deleted: live.length, prevKvs: live.map((l) => l.prev) };
  }

  changes(): readonly StoreEvent[] {
    return this.events;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    countStoreTxn(this.ranges, this.puts, this.deletes, this.putBytes);
    if (this.events.length > 0) this.host.finishWrite(this.beginRev + 1, this.events);
  }

  private assertOpen(): void {
    if (this.ended) throw new Error('mvcc: write on an ended transaction');
  }
}
