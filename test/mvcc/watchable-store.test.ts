// The watchable store's promises: events in revision order, each exactly once, for the
// watcher's range and filters; a consumer with no room never holds writers back and
// later catches up from the backend; a start below the compaction is refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../../src/storage/backend.js';
import { EventType, KVStore, type StoreEvent } from '../../src/mvcc/kv-store.js';
import { WatchableStore, type Watcher, type WatchOptions, type WatchSink } from '../../src/mvcc/watchable-store.js';

const b = (s: string) => Buffer.from(s);

interface Recorder extends WatchSink {
  seen: string[];
  room: boolean;
  compactedAt?: number;
}

function recorder(): Recorder {
  const r: Recorder = {
    seen: [],
    room: true,
    deliver: (_w: Watcher, events: StoreEvent[]) => {
      for (const e of events) {
        const prev = e.prevKv ? ` (was ${e.prevKv.value.toString()})` : '';
        r.seen.push(`${e.type === EventType.Put ? 'PUT' : 'DELETE'} ${e.kv.key.toString()}=${e.kv.value.toString()}@${e.kv.modRevision}${prev}`);
      }
    },
    compacted: (_w: Watcher, rev: number) => (r.compactedAt = rev),
    progress: () => r.seen.push('progress'),
    hasRoom: () => r.room,
  };
  return r;
}

async function withWatchable(fn: (store: KVStore, ws: WatchableStore) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'watch-test-'));
  const backend = Backend.open(join(dir, 'db'), { batchIntervalMs: 3_600_000 });
  const store = await KVStore.open(backend);
  const ws = new WatchableStore(store, backend, { retryMs: 3_600_000, batchRows: 3 });
  try {
    await fn(store, ws);
  } finally {
    ws.close();
    await store.compactionDone();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function put(s: KVStore, k: string, v: string): void {
  const t = s.write();
  t.put(b(k), b(v), 0n);
  t.end();
}

function del(s: KVStore, k: string): void {
  const t = s.write();
  t.deleteRange(b(k), Buffer.alloc(0));
  t.end();
}

const opts = (o: Partial<WatchOptions>): WatchOptions => ({ key: b('a'), rangeEnd: Buffer.alloc(0), startRev: 0, ...o });

test('live events reach only the watchers whose range and filters they match', async () => {
  await withWatchable(async (store, ws) => {
    const one = recorder();
    const prefix = recorder();
    const deletesOnly = recorder();
    ws.watch(opts({ key: b('a') }), one);
    ws.watch(opts({ key: b('a'), rangeEnd: b('b'), prevKv: true }), prefix);
    ws.watch(opts({ key: b('a'), rangeEnd: Buffer.from([0]), noPut: true }), deletesOnly);
    put(store, 'a', '1');
    put(store, 'ab', '2');
    put(store, 'a', '3');
    del(store, 'ab');
    put(store, 'c', '4');
    assert.deepEqual(one.seen, ['PUT a=1@2', 'PUT a=3@4']);
    assert.deepEqual(prefix.seen, ['PUT a=1@2', 'PUT ab=2@3', 'PUT a=3@4 (was 1)', 'DELETE ab=@5 (was 2)']);
    assert.deepEqual(deletesOnly.seen, ['DELETE ab=@5']);
  });
});

test('a watcher from the past replays the backend in bounded batches, then goes live, exactly once', async () => {
  await withWatchable(async (store, ws) => {
    for (let i = 0; i < 7; i++) put(store, 'a', String(i));
    const r = recorder();
    ws.watch(opts({ startRev: 3, prevKv: true }), r);
    assert.deepEqual(r.seen, [], 'nothing before the catch-up runs');
    ws.syncUnsynced();
    ws.syncUnsynced();
    put(store, 'a', 'live');
    ws.syncUnsynced();
    ws.syncUnsynced();
    assert.deepEqual(r.seen, ['PUT a=1@3 (was 0)', 'PUT a=2@4 (was 1)', 'PUT a=3@5 (was 2)', 'PUT a=4@6 (was 3)', 'PUT a=5@7 (was 4)', 'PUT a=6@8 (was 5)', 'PUT a=live@9 (was 6)']);
  });
});

test('a consumer without room does not block writes and later gets every event once, in order', async () => {
  await withWatchable(async (store, ws) => {
    const r = recorder();
    ws.watch(opts({}), r);
    put(store, 'a', '1');
    r.room = false;
    for (let i = 2; i <= 6; i++) put(store, 'a', String(i));
    assert.equal(store.rev(), 7, 'writes went on');
    assert.equal(ws.unsyncedCount, 1);
    r.room = true;
    for (let i = 0; i < 4 && ws.unsyncedCount > 0; i++) ws.syncUnsynced();
    put(store, 'a', '7');
    assert.deepEqual(r.seen, ['PUT a=1@2', 'PUT a=2@3', 'PUT a=3@4', 'PUT a=4@5', 'PUT a=5@6', 'PUT a=6@7', 'PUT a=7@8']);
  });
});

test('a start revision below the compaction is refused with the compaction revision', async () => {
  await withWatchable(async (store, ws) => {
    for (let i = 0; i < 4; i++) put(store, 'a', String(i));
    await store.compact(4);
    const r = recorder();
    ws.watch(opts({ startRev: 3 }), r);
    ws.syncUnsynced();
    assert.equal(r.compactedAt, 4);
    assert.equal(ws.size, 0);
    const ok = recorder();
    ws.watch(opts({ startRev: 4 }), ok);
    ws.syncUnsynced();
    assert.deepEqual(ok.seen, ['PUT a=2@4', 'PUT a=3@5']);
  });
});

test('progress notifications go to synced watchers that asked and heard nothing', async () => {
  await withWatchable(async (store, ws) => {
    const quiet = recorder();
    const busy = recorder();
    const silent = recorder();
    ws.watch(opts({ key: b('q'), progressNotify: true }), quiet);
    ws.watch(opts({ key: b('a'), progressNotify: true }), busy);
    ws.watch(opts({ key: b('q') }), silent);
    put(store, 'a', '1');
    ws.progressTick();
    assert.deepEqual(quiet.seen, ['progress']);
    assert.deepEqual(busy.seen, ['PUT a=1@2']);
    assert.deepEqual(silent.seen, []);
  });
});

test('previous values are read for live events exactly while a watcher wants them', async () => {
  await withWatchable(async (store, ws) => {
    put(store, 'a', '1');
    assert.equal(store.wantsPrevKv(), false, 'no watcher: puts skip reading the old value');
    const plain = recorder();
    ws.watch(opts({ key: b('a') }), plain);
    put(store, 'a', '2');
    assert.equal(store.wantsPrevKv(), false);
    const withPrev = recorder();
    const w = ws.watch(opts({ key: b('a'), prevKv: true }), withPrev);
    assert.equal(store.wantsPrevKv(), true);
    put(store, 'a', '3');
    ws.cancel(w);
    // Canceling twice must not make the count go wrong.
    ws.cancel(w);
    assert.equal(store.wantsPrevKv(), false);
    put(store, 'a', '4');
    const again = recorder();
    ws.watch(opts({ key: b('a'), prevKv: true }), again);
    put(store, 'a', '5');
    assert.deepEqual(plain.seen, ['PUT a=2@3', 'PUT a=3@4', 'PUT a=4@5', 'PUT a=5@6']);
    assert.deepEqual(withPrev.seen, ['PUT a=3@4 (was 2)']);
    assert.deepEqual(again.seen, ['PUT a=5@6 (was 4)']);
  });
});

test('a compacted prevKv watcher leaves the count', async () => {
  await withWatchable(async (store, ws) => {
    for (let i = 0; i < 4; i++) put(store, 'a', String(i));
    await store.compact(4);
    const r = recorder();
    ws.watch(opts({ startRev: 2, prevKv: true }), r);
    assert.equal(store.wantsPrevKv(), true);
    ws.syncUnsynced();
    assert.equal(r.compactedAt, 4);
    assert.equal(store.wantsPrevKv(), false);
  });
});
