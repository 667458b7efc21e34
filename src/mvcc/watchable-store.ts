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
    if (rangeEnd.length === 0) return key.equals(start);
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
  /** How often unsynced watchers are caught up (etcd: 100 ms). */
  syncIntervalMs?: number;
  /** Backend rows read per catch-up batch. */
  batchRows?: number;
}

export class WatchableStore {
  private readonly watchers = new Set<Watcher>();
  /** Watchers that asked for previous values: without any, puts skip reading them. */
  private prevKvWatchers = 0;
  private nextId = 1;
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;
  private readonly syncIntervalMs: number;
  private readonly batchRows: number;

  constructor(
    private readonly store: KVStore,
    private readonly backend: Backend,
    opts: WatchableStoreOptions = {},
  ) {
    this.syncIntervalMs = opts.syncIntervalMs ?? 100;
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
    if (!w.synced) this.scheduleSync(true);
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
    if (behind) this.scheduleSync(true);
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
    for (const w of this.watchers) {
      if (!w.synced || rev < w.nextRev) continue;
      const mine = events.filter((e) => w.wants(e));
      if (mine.length > 0) {
        if (!w.sink.hasRoom()) {
          // Too slow: these events stay in the backend and are read back later.
          w.synced = false;
          this.scheduleSync(false);
          continue;
        }
        w.sink.deliver(w, w.opts.prevKv ? mine : mine.map(withoutPrev), rev);
        w.sentSinceTick = true;
      }
      w.nextRev = rev + 1;
    }
  }

  private scheduleSync(soon: boolean): void {
    if (this.timer) {
      if (!soon) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.syncUnsynced();
    }, soon ? 0 : this.syncIntervalMs);
    this.timer.unref();
  }

  /** One catch-up round: each unsynced watcher with room gets at most one batch. */
  syncUnsynced(): void {
    const current = this.store.rev();
    const compactRev = this.store.compactRev();
    let behind = false;
    for (const w of [...this.watchers]) {
      if (w.synced) continue;
      if (w.nextRev < compactRev) {
        this.cancel(w);
        w.sink.compacted(w, compactRev);
        continue;
      }
      if (!w.sink.hasRoom()) {
        behind = true;
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
    if (behind) this.scheduleSync(false);
  }

  /** The previous value of a historic event's key, read at the revision before it (absent once compacted). */
  private withHistoricPrev(e: StoreEvent): StoreEvent {
    const rev = e.kv.modRevision - 1;
    if (rev < 1) return withoutPrev(e);
    const t = this.store.read();
    let prev: KeyValue | undefined;
    try {
      prev = t.range(e.kv.key, Buffer.alloc(0), { rev, limit: 1 }).kvs[0];
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
