// The revision semantics users see through Range: versions and create revisions across
// generations, history reads, compaction (logical and physical), and restart.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../../src/storage/backend.js';
import { KVStore } from '../../src/mvcc/kv-store.js';
import { ErrCompacted, ErrFutureRev } from '../../src/mvcc/errors.js';

const b = (s: string) => Buffer.from(s);
const NONE = Buffer.alloc(0);
const FROM_KEY = Buffer.from([0]);

async function withStore(fn: (s: KVStore, reopen: () => Promise<KVStore>) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mvcc-test-'));
  let backend = Backend.open(join(dir, 'db'));
  let store = await KVStore.open(backend);
  const reopen = async () => {
    await backend.close();
    backend = Backend.open(join(dir, 'db'));
    store = await KVStore.open(backend);
    return store;
  };
  try {
    await fn(store, reopen);
  } finally {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function put(s: KVStore, k: string, v: string, lease = 0n): void {
  const t = s.write();
  t.put(b(k), b(v), lease);
  t.end();
}

function del(s: KVStore, k: string, end = ''): number {
  const t = s.write();
  const n = t.deleteRange(b(k), b(end));
  t.end();
  return n;
}

function get(s: KVStore, k: string, rev = 0) {
  return s.read().range(b(k), NONE, { rev }).kvs[0];
}

test('put, get and delete move revisions, versions and create revisions like etcd', async () => {
  await withStore(async (s) => {
    assert.equal(s.rev(), 1, 'an empty store is at revision 1');
    put(s, 'foo', 'bar');
    put(s, 'foo', 'baz');
    assert.deepEqual(
      (({ createRevision, modRevision, version }) => ({ createRevision, modRevision, version }))(get(s, 'foo')!),
      { createRevision: 2, modRevision: 3, version: 2 },
    );
    assert.equal(del(s, 'foo'), 1);
    assert.equal(s.rev(), 4);
    assert.equal(get(s, 'foo'), undefined);
    assert.equal(del(s, 'foo'), 0);
    assert.equal(s.rev(), 4, 'deleting nothing makes no revision');
    put(s, 'foo', 'again');
    assert.equal(get(s, 'foo')!.createRevision, 5);
    assert.equal(get(s, 'foo')!.version, 1);
    assert.equal(get(s, 'foo', 3)!.value.toString(), 'baz');
    assert.equal(get(s, 'foo', 4), undefined);
  });
});

test('a write txn shares one revision and reads its own writes', async () => {
  await withStore(async (s) => {
    const t = s.write();
    t.put(b('a'), b('1'), 0n);
    t.put(b('b'), b('2'), 7n);
    assert.equal(t.range(b('a'), b('c'), {}).count, 2);
    assert.equal(t.rev(), 2);
    t.end();
    assert.equal(s.rev(), 2);
    const kvs = s.read().range(b('a'), b('c'), {}).kvs;
    assert.deepEqual(kvs.map((kv) => [kv.key.toString(), kv.modRevision, kv.lease]), [['a', 2, 0n], ['b', 2, 7n]]);
  });
});

test('range options: prefix end, from-key, limit with count, count only, history, errors', async () => {
  await withStore(async (s) => {
    for (const k of ['a', 'ab', 'abc', 'b', 'c']) put(s, k, `v-${k}`);
    const r = s.read();
    assert.deepEqual(r.range(b('a'), b('b'), {}).kvs.map((kv) => kv.key.toString()), ['a', 'ab', 'abc']);
    assert.deepEqual(r.range(b('ab'), FROM_KEY, {}).kvs.map((kv) => kv.key.toString()), ['ab', 'abc', 'b', 'c']);
    const limited = r.range(b('a'), FROM_KEY, { limit: 2 });
    assert.deepEqual([limited.kvs.length, limited.count], [2, 5]);
    const counted = r.range(b('a'), FROM_KEY, { countOnly: true });
    assert.deepEqual([counted.kvs.length, counted.count], [0, 5]);
    assert.deepEqual(r.range(b('a'), FROM_KEY, { rev: 3 }).kvs.map((kv) => kv.key.toString()), ['a', 'ab']);
    assert.equal(r.range(b('b'), b('a'), {}).count, 0, 'an inverted range is empty');
    assert.throws(() => r.range(b('a'), NONE, { rev: 100 }), ErrFutureRev);
  });
});

test('compaction refuses old reads, keeps what later reads see, and removes the rest from the backend', async () => {
  await withStore(async (s, reopen) => {
    put(s, 'k', 'v1'); // 2
    put(s, 'k', 'v2'); // 3
    put(s, 'gone', 'x'); // 4
    del(s, 'gone'); // 5
    put(s, 'k', 'v3'); // 6
    assert.throws(() => s.compact(7), ErrFutureRev);
    await s.compact(5);
    assert.throws(() => s.compact(5), ErrCompacted);
    assert.throws(() => s.read().range(b('k'), NONE, { rev: 4 }), ErrCompacted);
    assert.equal(get(s, 'k', 5)!.value.toString(), 'v2');
    assert.equal(get(s, 'k')!.value.toString(), 'v3');
    assert.equal(s.keyCount(), 1, "'gone' ended before the compaction and left the index");
    const s2 = await reopen();
    assert.equal(s2.compactRev(), 5);
    assert.equal(s2.rev(), 6);
    assert.throws(() => s2.read().range(b('k'), NONE, { rev: 4 }), ErrCompacted);
    assert.equal(get(s2, 'k', 5)!.value.toString(), 'v2');
    assert.equal(get(s2, 'k')!.version, 3);
    assert.equal(get(s2, 'gone', 5), undefined);
  });
});

test('restart rebuilds the index: history, tombstones, revision and consistent index', async () => {
  await withStore(async (s, reopen) => {
    put(s, 'a', '1');
    put(s, 'b', '2');
    del(s, 'a');
    put(s, 'b', '3');
    s.setConsistentIndex(42, 3);
    const s2 = await reopen();
    assert.equal(s2.rev(), 5);
    assert.equal(s2.consistentIndex(), 42);
    assert.equal(get(s2, 'a'), undefined);
    assert.equal(get(s2, 'a', 2)!.value.toString(), '1');
    assert.deepEqual([get(s2, 'b')!.version, get(s2, 'b')!.createRevision], [2, 3]);
    put(s2, 'a', 'new');
    assert.deepEqual([get(s2, 'a')!.version, get(s2, 'a')!.createRevision], [1, 6]);
  });
});
