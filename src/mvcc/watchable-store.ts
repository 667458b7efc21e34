// Watchers over the multi-version store, in the shape of etcd's watchable store:
//
// - synced watchers are up to date: each applied write transaction hands its events to
//   the ones whose range it touches, right away;
// - unsynced watchers are behind (they started in the past, or their consumer was too
//   slow to take events): a loop reads their missing revisions back from the backend in
//   bounded batches and moves them to synced once they reach the current revision.
//
// A consumer that cannot keep up never blocks writers: its watchers just fall back to
// unsynced and catch up from the backend later. Each watcher keeps the next revision it
// still needs, so every event is delivered once and in revision order.
//
// Catch-up is scheduled, not polled on a fixed beat: a watcher behind with room to send is
// caught up on the next turn, batch after batch, and one whose consumer is full is retried
// a short while later (etcd retries its blocked "victims" every 10 ms), so a burst that
// fills a stream delays its watchers by milliseconds, not by a whole sync period.

import type { Backend } from '../storage/backend.js';
import { ErrCompacted } from './errors.js';
import { readHistory } from './kv-history.js';
import type { KVStore } from './kv-store.js';
import { EventType, type KeyValue, type StoreEvent } from './types.js';

/** Where a watcher's output goes (one gRPC watch stream serves many watchers). */
export interface WatchSink {
  /** Events of revisions up to `rev` (the store's revision when sent). */
  deliver(w: Watcher, events: StoreEvent[], rev: number): void;
  /** The watcher's start revision was compacted away; it is removed. */
  compacted(w: Watcher, compactRev: number): void;
  /** A progress notification: nothing for this watcher up to `rev`. */
  progress(w: Watcher, rev: number): void;
  /** False when the consumer is backed up: events wait in the backend instead. */
  hasRoom(): boolean;
}

export interface WatchOptions {
  key: Buffer;
  /** Empty: the key alone; "\0": every key from `key` on; else keys in [key, rangeEnd). */
  rangeEnd: Buffer;
  /** First revision wanted; 0 means changes after the current revision. */
  startRev: number;
  noPut?: boolean;
  noDelete?: boolean;
  prevKv?: boolean;
  progressNotify?: boolean;
}

export class Watcher {
  /** The next revision this watcher still needs. */
  nextRev: number;
  synced = false;
  /** Whether anything was sent since the last progress tick. */
  sentSinceTick = false;

  constructor(
    readonly id: number,
    readonly opts: WatchOptions,
    readonly sink: WatchSink,
    startRev: number,
  ) {
    this.nextRev = startRev;
  }

  matches(key: Buffer): boolean {
    const { key: start, rangeEnd } = this.opts;
    if (rangeEnd.length === 0) return sameBytes(key, start);
    if (Buffer.compare(key, start) < 0) return false;
    if (rangeEnd.length === 1 && rangeEnd[0] === 0) return true;
    return Buffer.compare(key, rangeEnd) < 0;
  }

  wants(e: StoreEvent): boolean {
    if (e.type === EventType.Put && this.opts.noPut) return false;
    if (e.type === EventType.Delete && this.opts.noDelete) return false;
    return this.matches(e.kv.key);
  }
}

export interface WatchableStoreOptions {
  /** How soon watchers whose consumer had no room are tried again (etcd: 10 ms). */
  retryMs?: number;
  /** Backend rows read per catch-up batch. */
  batchRows?: number;
}

export class WatchableStore {
  private readonly watchers = new Set<Watcher>();
  /** Watchers that asked for previous values: without any, puts skip reading them. */
  private prevKvWatchers = 0;
  private nextId = 1;
  private timer: NodeJS.Timeout | undefined;
  /** When the scheduled catch-up runs (performance.now() clock), to keep the earliest of two requests. */
  private timerDue = 0;
  private readonly unsubscribe: () => void;
  private readonly retryMs: number;
  private readonly batchRows: number;

  constructor(
    private readonly store: KVStore,
    private readonly backend: Backend,
    opts: WatchableStoreOptions = {},
  ) {
    this.retryMs = opts.retryMs ?? 10;
    this.batchRows = opts.batchRows ?? 1000;
    this.unsubscribe = store.onEvents((events, rev) => this.notify(events, rev));
    store.setPrevKvWanted(() => this.prevKvWatchers > 0);
  }

  rev(): number {
    return this.store.rev();
  }

  watch(opts: WatchOptions, sink: WatchSink): Watcher {
    const current = this.store.rev();
    const start = opts.startRev > 0 ? opts.startRev : current + 1;
    const w = new Watcher(this.nextId++, opts, sink, start);
    // A start in the future waits with the synced ones; a start in the past catches up first.
    w.synced = start > current;
    this.watchers.add(w);
    if (opts.prevKv) this.prevKvWatchers++;
    if (!w.synced) this.scheduleSync(0);
    return w;
  }

  cancel(w: Watcher): void {
    if (this.watchers.delete(w) && w.opts.prevKv) this.prevKvWatchers--;
  }

  get size(): number {
    return this.watchers.size;
  }

  get unsyncedCount(): number {
    let n = 0;
    for (const w of this.watchers) if (!w.synced) n++;
    return n;
  }

  close(): void {
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.watchers.clear();
    this.prevKvWatchers = 0;
  }

  /**
   * The store was rebuilt from a raft snapshot's db: every watcher catches up from its
   * next revision against the new contents, through the unsynced path, so each event
   * still arrives once and in order; one whose next revision was compacted away on the
   * leader is canceled with the compaction revision, as etcd does.
   */
  restore(): void {
    const current = this.store.rev();
    let behind = false;
    for (const w of this.watchers) {
      // A watcher waiting for a revision still in the future has nothing to catch up.
      if (w.nextRev > current) continue;
      w.synced = false;
      behind = true;
    }
    if (behind) this.scheduleSync(0);
  }

  /** Sends a progress notification to synced watchers that asked for them and heard nothing since the last tick. */
  progressTick(): void {
    const rev = this.store.rev();
    for (const w of this.watchers) {
      if (w.opts.progressNotify && w.synced && !w.sentSinceTick && w.sink.hasRoom()) w.sink.progress(w, rev);
      w.sentSinceTick = false;
    }
  }

  /** A write transaction at `rev` was applied: hand its events to the synced watchers. */
  private notify(events: StoreEvent[], rev: number): void {
    // Watchers that want every event of the write get the same array (one with, one without
    // previous values), so a sink can encode it once for all of them.
    let eventsWithoutPrev: StoreEvent[] | undefined;
    for (const w of this.watchers) {
      if (!w.synced || rev < w.nextRev) continue;
      // Counted first, so the usual case (the watcher wants the whole write) allocates nothing per watcher.
      let wanted = 0;
      for (const e of events) if (w.wants(e)) wanted++;
      if (wanted > 0) {
        if (!w.sink.hasRoom()) {
          // Too slow: these events stay in the backend and are read back later.
          w.synced = false;
          this.scheduleSync(this.retryMs);
          continue;
        }
        let mine: StoreEvent[];
        if (wanted === events.length) mine = w.opts.prevKv ? events : (eventsWithoutPrev ??= events.map(withoutPrev));
        else {
          mine = events.filter((e) => w.wants(e));
          if (!w.opts.prevKv) mine = mine.map(withoutPrev);
        }
        w.sink.deliver(w, mine, rev);
        w.sentSinceTick = true;
      }
      w.nextRev = rev + 1;
    }
  }

  /** Runs a catch-up round `delayMs` from now, unless one is already due sooner. */
  private scheduleSync(delayMs: number): void {
    const due = performance.now() + delayMs;
    if (this.timer) {
      if (this.timerDue <= due) return;
      clearTimeout(this.timer);
    }
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.syncUnsynced();
    }, delayMs);
    this.timer.unref();
  }

  /** One catch-up round: each unsynced watcher with room gets at most one batch. */
  syncUnsynced(): void {
    const current = this.store.rev();
    const compactRev = this.store.compactRev();
    let blocked = false;
    let behind = false;
    for (const w of [...this.watchers]) {
      if (w.synced) continue;
      if (w.nextRev < compactRev) {
        this.cancel(w);
        w.sink.compacted(w, compactRev);
        continue;
      }
      if (!w.sink.hasRoom()) {
        blocked = true;
        continue;
      }
      const batch = readHistory(this.backend, w.nextRev, current, this.batchRows);
      const mine = batch.events.filter((x) => w.wants(x.event)).map((x) => (w.opts.prevKv ? this.withHistoricPrev(x.event) : withoutPrev(x.event)));
      if (mine.length > 0) {
        w.sink.deliver(w, mine, current);
        w.sentSinceTick = true;
      }
      w.nextRev = batch.throughRev + 1;
      if (w.nextRev > current) w.synced = true;
      else behind = true;
    }
    if (behind) this.scheduleSync(0);
    else if (blocked) this.scheduleSync(this.retryMs);
  }

  /** The previous value of a historic event's key, read at the revision before it (absent once compacted). */
  private withHistoricPrev(e: StoreEvent): StoreEvent {
    const rev = e.kv.modRevision - 1;
    if (rev < 1) return withoutPrev(e);
    const t = this.store.read();
    let prev: KeyValue | undefined;
    try {
      prev = t.peek(e.kv.key, Buffer.alloc(0), { rev, limit: 1 }).kvs[0];
    } catch (err) {
      if (!(err instanceof ErrCompacted)) throw err;
    } finally {
      t.end();
    }
    return prev ? { type: e.type, kv: e.kv, prevKv: prev } : withoutPrev(e);
  }
}

function withoutPrev(e: StoreEvent): StoreEvent {
  return e.prevKv ? { type: e.type, kv: e.kv } : e;
}

/**
 * Byte equality, in JavaScript for short keys: every single-key watcher compares each
 * event's key, and Buffer#equals' call into C++ costs more than comparing a few bytes.
 */
function sameBytes(a: Buffer, b: Buffer): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  if (n > 64) return a.equals(b);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
