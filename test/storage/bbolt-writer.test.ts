// The bbolt writer, checked with our reader and with Debian's etcdctl (which opens the
// file with real bbolt): the pairs of real etcd's golden snapshot written again read back
// the same and give the same `snapshot status`; layouts at the edges (empty buckets, the
// inline limit, values of many pages, tens of thousands of keys) read back whole.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BboltReader, fileSource } from '../../src/storage/bbolt-reader.js';
import { writeBboltFile, type BboltBucketSource, type BboltPair } from '../../src/storage/bbolt-writer.js';
import { bboltStatus } from '../../src/snapshot/bbolt-snapshot.js';

const GOLDEN = fileURLToPath(new URL('../../../test/storage/fixtures/etcd-3.4.23-snapshot.db', import.meta.url));

function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bbolt-writer-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

function debianStatus(path: string): { hash: number; revision: number; totalKey: number; totalSize: number } {
  const r = spawnSync('/usr/bin/etcdctl', ['snapshot', 'status', path, '-w', 'json'], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { hash: number; revision: number; totalKey: number; totalSize: number };
}

function readAll(path: string): Map<string, [string, string][]> {
  const source = fileSource(path);
  try {
    const reader = new BboltReader(source);
    const out = new Map<string, [string, string][]>();
    for (const name of reader.bucketNames()) {
      out.set(name.toString('latin1'), [...reader.bucket(name.toString('latin1'))].map((e) => [e.key.toString('hex'), e.value.toString('hex')]));
    }
    return out;
  } finally {
    source.close();
  }
}

const bucket = (name: string, pairs: () => Iterable<BboltPair>): BboltBucketSource => ({ name: Buffer.from(name), entries: pairs });

test("real etcd's snapshot written again: same pairs, same status from our reader and from Debian's etcdctl", async () => {
  await withDir(async (dir) => {
    const golden = readAll(GOLDEN);
    const copy = join(dir, 'copy.db');
    const sources = [...golden].map(([name, pairs]) => bucket(name, () => pairs.map(([k, v]) => ({ key: Buffer.from(k, 'hex'), value: Buffer.from(v, 'hex') }))));
    const size = await writeBboltFile(copy, sources);
    assert.equal(readFileSync(copy).length, size);
    assert.deepEqual(readAll(copy), golden);
    const want = { hash: 3707298576, revision: 7, totalKey: 14 };
    const ours = await bboltStatus(copy);
    assert.deepEqual({ hash: ours.hash, revision: ours.revision, totalKey: ours.totalKey }, want);
    assert.deepEqual(debianStatus(copy), { ...want, totalSize: size });
  });
});

test('empty buckets, buckets at the inline limit, values of many pages and 50,000 keys read back whole', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'edges.db');
    const fill = (n: number, size: number) => () => Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${String(i).padStart(6, '0')}`), value: Buffer.alloc(size, i & 0xff) }));
    // 16 header + 4 × (16 + 7 + 233) = 1040 > 1024: one byte past what bbolt inlines; 3 × 300 fits.
    const many = (): Iterable<BboltPair> => ({
      *[Symbol.iterator]() {
        for (let i = 0; i < 50_000; i++) {
          const key = Buffer.alloc(17);
          key.writeBigUInt64BE(BigInt(i + 1));
          key[8] = 0x5f;
          yield { key, value: Buffer.alloc(i % 5000 === 17 ? 100 * 1024 : 20 + (i % 200), i & 0xff) };
        }
      },
    });
    const sources = [
      bucket('alarm', () => []),
      bucket('auth', fill(3, 300)),
      bucket('authUsers', fill(4, 233)),
      bucket('cluster', fill(1, 5000)),
      bucket('key', many),
      bucket('lease', fill(3000, 30)),
      bucket('meta', fill(1, 8)),
    ];
    const size = await writeBboltFile(path, sources);
    const read = readAll(path);
    assert.deepEqual([...read.keys()], ['alarm', 'auth', 'authUsers', 'cluster', 'key', 'lease', 'meta']);
    for (const s of sources) {
      const want = [...s.entries()].map((e): [string, string] => [e.key.toString('hex'), e.value.toString('hex')]);
      assert.deepEqual(read.get(s.name.toString()), want, s.name.toString());
    }
    const st = debianStatus(path);
    assert.equal(st.totalKey, 3 + 4 + 1 + 50_000 + 3000 + 1);
    assert.equal(st.revision, 50_000);
    assert.equal(st.totalSize, size);
  });
});

test('keys out of order or empty are refused', async () => {
  await withDir(async (dir) => {
    const k = (s: string) => ({ key: Buffer.from(s), value: Buffer.from('v') });
    await assert.rejects(writeBboltFile(join(dir, 'a.db'), [bucket('key', () => [k('b'), k('a')])]), /keys out of order in bucket key/);
    await assert.rejects(writeBboltFile(join(dir, 'b.db'), [bucket('key', () => [k('a'), k('a')])]), /keys out of order/);
    await assert.rejects(writeBboltFile(join(dir, 'c.db'), [bucket('key', () => [k('')])]), /empty key/);
    await assert.rejects(writeBboltFile(join(dir, 'd.db'), [bucket('meta', () => []), bucket('key', () => [])]), /keys out of order in the root bucket/);
  });
});
