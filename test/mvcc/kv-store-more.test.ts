// The store through its public API: every range option, transaction visibility, events,
// the consistent index, restart mid-compaction, HashKV agreement, and the stored bytes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../../src/storage/backend.js';
import { ErrCompacted, ErrFutureRev, EventType, KVStore, type StoreEvent } from '../../src/mvcc/kv-store.js';
import { META_SCHEDULED_COMPACT } from '../../src/mvcc/kv-compaction.js';
import { encodeKeyValue } from '../../src/mvcc/kv-codec.js';
import { encodeRev, revStart } from '../../src/mvcc/revision.js';

const b = (s: string) => Buffer.from(s);
const NONE = Buffer.alloc(0);
const FROM_KEY = Buffer.from([0]);
const NO_TIMER = { batchIntervalMs: 3_600_000 };

interface Env {
  store: KVStore;
  backend: Backend;
  reopen(): Promise<KVStore>;
}

async function withStore(fn: (env: Env) => Promise<void>, compactionBatch?: number, name = 'db'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mvcc-test-'));
  const env: Env = {
    backend: Backend.open(join(dir, name), NO_TIMER),
    store: undefined as unknown as KVStore,
    async reopen() {
      await env.store.compactionDone();
      await env.backend.close();
      env.backend = Backend.open(join(dir, name), NO_TIMER);
      env.store = await KVStore.open(env.backend, { compactionBatch });
      return env.store;
    },
  };
  env.store = await KVStore.open(env.backend, { compactionBatch });
  try {
    await fn(env);
  } finally {
    await env.store.compactionDone();
    await env.backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function put(s: KVStore, k: string, v: string, lease = 0n): void {
  const t = s.write();
  try {
    t.put(b(k), b(v), lease);
  } finally {
    t.end();
  }
}

function del(s: KVStore, k: string, end = ''): number {
  const t = s.write();
  try {
    return t.deleteRange(b(k), b(end));
  } finally {
    t.end();
  }
}

const names = (r: { kvs: { key: Buffer }[] }) => r.kvs.map((kv) => kv.key.toString());

test('range: every option, with etcd end semantics', async () => {
  await withStore(async ({ store: s }) => {
    for (const k of ['a', 'ab', 'abc', 'b', 'c']) put(s, k, `v-${k}`); // revs 2..6
    del(s, 'b'); // rev 7
    const r = s.read();
    const table: { name: string; key: string; end: Buffer; opts: object; keys: string[]; count: number }[] = [
      { name: 'single key', key: 'ab', end: NONE, opts: {}, keys: ['ab'], count: 1 },
      { name: 'single missing key', key: 'zz', end: NONE, opts: {}, keys: [], count: 0 },
      { name: 'prefix via end', key: 'a', end: b('b'), opts: {}, keys: ['a', 'ab', 'abc'], count: 3 },
      { name: 'from key with \\0', key: 'ab', end: FROM_KEY, opts: {}, keys: ['ab', 'abc', 'c'], count: 3 },
      { name: 'all keys', key: '\0', end: FROM_KEY, opts: {}, keys: ['a', 'ab', 'abc', 'c'], count: 4 },
      { name: 'limit keeps count', key: 'a', end: FROM_KEY, opts: { limit: 2 }, keys: ['a', 'ab'], count: 4 },
      { name: 'count only', key: 'a', end: FROM_KEY, opts: { countOnly: true }, keys: [], count: 4 },
      { name: 'history before the delete', key: 'a', end: FROM_KEY, opts: { rev: 6 }, keys: ['a', 'ab', 'abc', 'b', 'c'], count: 5 },
      { name: 'history early', key: 'a', end: FROM_KEY, opts: { rev: 3 }, keys: ['a', 'ab'], count: 2 },
      { name: 'revision 1 is empty', key: 'a', end: FROM_KEY, opts: { rev: 1 }, keys: [], count: 0 },
      { name: 'inverted range', key: 'b', end: b('a'), opts: {}, keys: [], count: 0 },
    ];
    for (const c of table) {
      const res = r.range(b(c.key), c.end, c.opts);
      assert.deepEqual([names(res), res.count, res.rev], [c.keys, c.count, 7], c.name);
    }
    assert.throws(() => r.range(b('a'), NONE, { rev: 8 }), (e: unknown) => e instanceof ErrFutureRev && e.message === 'mvcc: required revision is a future revision');
    await s.compact(4);
    assert.throws(() => s.read().range(b('a'), NONE, { rev: 3 }), (e: unknown) => e instanceof ErrCompacted && e.message === 'mvcc: required revision has been compacted');
    assert.deepEqual(names(s.read().range(b('a'), FROM_KEY, { rev: 4 })), ['a', 'ab', 'abc'], 'the compaction revision itself is readable');
  });
});

test('transactions: one revision per txn, own writes visible inside, nothing visible outside before end', async () => {
  await withStore(async ({ store: s }) => {
    put(s, 'x', '0'); // rev 2
    const before = s.read();
    const t = s.write();
    t.put(b('x'), b('1'), 0n);
    t.put(b('y'), b('2'), 5n);
    assert.equal(t.deleteRange(b('x'), NONE), 1, 'deletes its own put');
    t.put(b('x'), b('3'), 0n);
    assert.equal(t.rev(), 3);
    assert.equal(t.range(b('x'), NONE, {}).kvs[0]!.value.toString(), '3');
    assert.equal(s.read().range(b('y'), NONE, {}).count, 0, 'another read does not see an open txn');
    assert.equal(s.rev(), 2);
    t.end();
    assert.equal(s.rev(), 3);
    assert.equal(before.range(b('x'), NONE, {}).kvs[0]!.value.toString(), '0', 'a read begun earlier keeps its revision');
    const x = s.read().range(b('x'), NONE, {}).kvs[0]!;
    assert.deepEqual([x.createRevision, x.modRevision, x.version], [3, 3, 1], 'x was recreated in the txn');
    assert.equal(s.read().range(b('y'), NONE, {}).kvs[0]!.lease, 5n);
    const empty = s.write();
    assert.equal(empty.range(b('nothing'), NONE, {}).count, 0);
    empty.end();
    assert.equal(s.rev(), 3, 'a txn that changes nothing makes no revision');
  });
});

test('events: one batch per write txn, with prev kvs, deletes carrying the deletion revision', async () => {
  await withStore(async ({ store: s }) => {
    const seen: [StoreEvent[], number][] = [];
    const off = s.onEvents((events, rev) => seen.push([events, rev]));
    put(s, 'a', '1');
    const t = s.write();
    t.put(b('a'), b('2'), 9n);
    const d = t.deleteRangeWithPrev(b('a'), b('b'));
    t.end();
    assert.deepEqual([d.deleted, d.prevKvs.map((kv) => kv.value.toString())], [1, ['2']]);
    off();
    put(s, 'z', 'unseen');
    assert.deepEqual(
      seen.map(([events, rev]) => [rev, events.map((e) => [e.type, e.kv.key.toString(), e.kv.modRevision, e.kv.version, e.prevKv?.value.toString()])]),
      [
        [2, [[EventType.Put, 'a', 2, 1, undefined]]],
        [3, [[EventType.Put, 'a', 3, 2, '1'], [EventType.Delete, 'a', 3, 0, '2']]],
      ],
    );
  });
});

test('consistent index: recorded with the writes it covers and read back on open', async () => {
  await withStore(async (env) => {
    assert.equal(env.store.consistentIndex(), 0);
    put(env.store, 'a', '1');
    env.store.setConsistentIndex(7, 2);
    assert.equal(env.store.consistentIndex(), 7);
    await env.backend.forceCommit();
    put(env.store, 'b', '2');
    env.store.setConsistentIndex(8, 2);
    const s = await env.reopen();
    assert.deepEqual([s.consistentIndex(), s.consistentTerm(), s.rev()], [8, 2, 3]);
  });
});

test('restart: the index is rebuilt from the backend with generations and versions', async () => {
  await withStore(async (env) => {
    put(env.store, 'k', 'a'); // 2
    put(env.store, 'k', 'b'); // 3
    del(env.store, 'k'); // 4
    put(env.store, 'k', 'c'); // 5
    put(env.store, 'k', 'd'); // 6
    const s = await env.reopen();
    const get = (rev: number) => s.read().range(b('k'), NONE, { rev }).kvs[0];
    assert.deepEqual([get(3)!.version, get(3)!.createRevision], [2, 2]);
    assert.equal(get(4), undefined);
    assert.deepEqual([get(6)!.version, get(6)!.createRevision, get(6)!.value.toString()], [2, 5, 'd']);
    put(s, 'k', 'e');
    assert.deepEqual([get(7)!.version, get(7)!.createRevision], [3, 5]);
  });
});

test('compact validates like etcd and removes the invisible rows from the backend', async () => {
  await withStore(async ({ store: s, backend }) => {
    put(s, 'k', '1'); // 2
    put(s, 'k', '2'); // 3
    put(s, 'gone', 'x'); // 4
    del(s, 'gone'); // 5
    put(s, 'k', '3'); // 6
    assert.throws(() => s.compact(7), ErrFutureRev);
    const physical = s.compact(5);
    assert.throws(() => s.compact(5), ErrCompacted);
    assert.throws(() => s.compact(4), ErrCompacted);
    await physical;
    const rows = backend.range('key', NONE).map((e) => e.key.readUInt32BE(4));
    assert.deepEqual(rows, [3, 6], 'only the value visible at 5 and the newer one remain');
    assert.equal(s.keyCount(), 1);
  }, 1);
});

test('restart mid-compaction: the scheduled compaction is redone and finished', async () => {
  await withStore(async (env) => {
    put(env.store, 'k', '1'); // 2
    put(env.store, 'k', '2'); // 3
    put(env.store, 'gone', 'x'); // 4
    del(env.store, 'gone'); // 5
    put(env.store, 'k', '3'); // 6
    // The state a crash leaves after the compaction request reached the file and its
    // physical part had deleted only 'gone''s put: scheduled > finished, an orphan tombstone.
    env.backend.put('meta', META_SCHEDULED_COMPACT, revStart(5));
    env.backend.delete('key', encodeRev({ main: 4, sub: 0 }));
    const s = await env.reopen();
    assert.equal(s.compactRev(), 5);
    assert.throws(() => s.read().range(b('k'), NONE, { rev: 4 }), ErrCompacted);
    await s.compactionDone();
    assert.deepEqual(env.backend.range('key', NONE).map((e) => e.key.readUInt32BE(4)), [3, 6]);
    assert.equal(s.read().range(b('k'), NONE, { rev: 5 }).kvs[0]!.value.toString(), '2');
    const again = await env.reopen();
    assert.deepEqual([again.compactRev(), again.rev()], [5, 6], 'finished compaction survives restart');
  }, 1);
});

test('a compaction that removed every row still leaves the store at its revision', async () => {
  await withStore(async (env) => {
    put(env.store, 'a', '1'); // 2
    del(env.store, 'a'); // 3
    await env.store.compact(3);
    assert.equal(env.backend.range('key', NONE).length, 0);
    const s = await env.reopen();
    assert.deepEqual([s.rev(), s.compactRev()], [3, 3]);
    put(s, 'a', 'again');
    assert.equal(s.read().range(b('a'), NONE, {}).kvs[0]!.modRevision, 4);
  });
});

test('HashKV agrees between stores with one history, whether or not physical compaction finished', async () => {
  const history = (s: KVStore) => {
    for (let i = 0; i < 30; i++) put(s, `k${i % 7}`, `v${i}`);
    del(s, 'k3');
    put(s, 'k3', 'back');
  };
  await withStore(async (one) => {
    await withStore(async (two) => {
      history(one.store);
      history(two.store);
      const rev = one.store.rev();
      assert.deepEqual(await one.store.hashByRev(0), await two.store.hashByRev(0));
      await one.store.compact(20);
      const pending = two.store.compact(20); // physical part still running: batches of 1
      const h1 = await one.store.hashByRev(rev);
      const h2 = await two.store.hashByRev(rev);
      assert.deepEqual(h1, h2);
      assert.deepEqual([h1.revision, h1.compactRevision], [rev, 20]);
      await pending;
      assert.deepEqual(await two.store.hashByRev(rev), h1);
      assert.deepEqual(await one.store.hashByRev(25), await two.store.hashByRev(25));
      assert.notEqual((await one.store.hashByRev(25)).hash, h1.hash, 'a different revision hashes differently');
      await assert.rejects(one.store.hashByRev(rev + 1), ErrFutureRev);
      await assert.rejects(one.store.hashByRev(19), ErrCompacted);
      put(two.store, 'k1', 'diverged');
      assert.notEqual((await two.store.hashByRev(0)).hash, (await one.store.hashByRev(0)).hash);
      one.store.setConsistentIndex(5, 1);
      two.store.setConsistentIndex(9, 1);
      put(one.store, 'k1', 'diverged');
      assert.equal((await one.store.hash()).hash, (await two.store.hash()).hash, 'the consistent index is not hashed');
    }, 1, 'two');
  }, 1, 'one');
});

test('stored bytes: the protobuf encoding of mvccpb.KeyValue, under 17-byte revision keys', async () => {
  assert.equal(
    encodeKeyValue({ key: b('foo'), value: b('bar'), createRevision: 2, modRevision: 3, version: 2, lease: 0n }).toString('hex'),
    '0a03666f6f1002180320022a03626172',
  );
  await withStore(async ({ store: s, backend }) => {
    put(s, 'foo', 'bar');
    put(s, 'foo', 'bar');
    del(s, 'foo');
    assert.deepEqual(
      backend.range('key', NONE).map((e) => [e.key.toString('hex'), e.value.toString('hex')]),
      [
        ['00000000000000025f0000000000000000', '0a03666f6f1002180220012a03626172'],
        ['00000000000000035f0000000000000000', '0a03666f6f1002180320022a03626172'],
        ['00000000000000045f000000000000000074', '0a03666f6f'],
      ],
    );
  });
});
