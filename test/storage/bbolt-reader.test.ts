// The bbolt reader over a golden file: test/storage/fixtures/etcd-3.4.23-snapshot.db was
// saved with Debian's `etcdctl snapshot save` from etcd 3.4.23 after
//   put a 1; put b 2; put a 3; del b; lease grant 600; put withlease x --lease=<id>;
//   compact 3; put big <10000 x>; user add root:pw
// and Debian's `etcdctl snapshot status -w json` on it printed
//   {"hash":3707298576,"revision":7,"totalKey":14,"totalSize":40960}
// Its small buckets are inline (stored inside their parent's leaf), `big` spans overflow
// pages, and the 32-byte SHA-256 trailer follows the pages.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BboltReader, NotBboltError, fileSource } from '../../src/storage/bbolt-reader.js';
import { bboltStatus } from '../../src/snapshot/bbolt-snapshot.js';
import { decodeRev } from '../../src/mvcc/revision.js';
import { decodeKeyValue } from '../../src/mvcc/kv-codec.js';
import { decodeLease } from '../../src/lease/lease-codec.js';

const GOLDEN = fileURLToPath(new URL('../../../test/storage/fixtures/etcd-3.4.23-snapshot.db', import.meta.url));
const PAGE = 4096;
/** Where the meta fields start inside a meta page: after the 16-byte page header. */
const META = 16;

function revisions(r: BboltReader): string[] {
  return [...r.bucket('key')].map((e) => {
    const { rev, tombstone } = decodeRev(e.key);
    return `${rev.main}_${rev.sub}${tombstone ? 't' : ''}:${decodeKeyValue(e.value).key.toString()}`;
  });
}

test('the golden snapshot reads as etcd wrote it', () => {
  const r = new BboltReader(readFileSync(GOLDEN));
  assert.equal(r.meta.pageSize, PAGE);
  assert.equal(r.meta.txid, 11n);
  assert.equal(r.sizeBytes, 40960);
  assert.deepEqual(
    r.bucketNames().map((b) => b.toString()),
    ['alarm', 'auth', 'authRoles', 'authUsers', 'cluster', 'key', 'lease', 'members', 'members_removed', 'meta'],
  );
  // The compaction at 3 dropped nothing: a@2 and b@3 were each key's latest at 3.
  assert.deepEqual(revisions(r), ['2_0:a', '3_0:b', '4_0:a', '5_0t:b', '6_0:withlease', '7_0:big']);
  const keys = [...r.bucket('key')].map((e) => decodeKeyValue(e.value));
  assert.equal(keys[5]!.value.toString(), 'x'.repeat(10_000));
  const [lease] = [...r.bucket('lease')].map((e) => decodeLease(e.value));
  assert.equal(lease!.ttlSec, 600);
  assert.equal(keys[4]!.lease, lease!.id);
  const meta = Object.fromEntries([...r.bucket('meta')].map((e) => [e.key.toString(), e.value.toString('hex')]));
  assert.deepEqual(Object.keys(meta), ['consistent_index', 'finishedCompactRev', 'scheduledCompactRev']);
  assert.equal(meta.finishedCompactRev, '0000000000000003' + '5f' + '0000000000000000');
  assert.deepEqual([...r.bucket('cluster')].map((e) => [e.key.toString(), e.value.toString()]), [['clusterVersion', '3.4.0']]);
  assert.deepEqual([...r.bucket('no-such-bucket')], []);
  assert.equal([...r.entries()].length, 14);
});

test('status of the golden snapshot is what Debian etcdctl printed', async () => {
  assert.deepEqual(await bboltStatus(GOLDEN), { hash: 3707298576, revision: 7, totalKey: 14, totalSize: 40960 });
});

test('reading page by page from the file gives the same pairs as from a Buffer', () => {
  const source = fileSource(GOLDEN);
  try {
    const fromFile = [...new BboltReader(source).entries()].map((e) => [e.bucket, e.key, e.value].map((b) => b.toString('hex')).join(' '));
    const fromBuffer = [...new BboltReader(readFileSync(GOLDEN)).entries()].map((e) => [e.bucket, e.key, e.value].map((b) => b.toString('hex')).join(' '));
    assert.deepEqual(fromFile, fromBuffer);
  } finally {
    source.close();
  }
});

test('a torn newest meta page: the other one (the previous commit) is used', () => {
  const b = Buffer.from(readFileSync(GOLDEN));
  b[META + 48] ^= 0x01; // meta 0's txid (11): its checksum no longer holds
  const r = new BboltReader(b);
  assert.equal(r.meta.txid, 10n);
  assert.ok(revisions(r).length > 0);
});

test('files that are not bbolt are refused with a clear error', () => {
  const notBbolt = (e: unknown, why: RegExp): boolean => e instanceof NotBboltError && why.test(e.message);
  assert.throws(() => new BboltReader(Buffer.from('hello, world'), 'x.db'), (e) => notBbolt(e, /^x\.db: not a bbolt database: invalid magic$/));
  const both = Buffer.from(readFileSync(GOLDEN));
  both[META + 8] ^= 0xff;
  both[PAGE + META + 8] ^= 0xff;
  assert.throws(() => new BboltReader(both), (e) => notBbolt(e, /not a bbolt database: checksum error$/));
  const version = Buffer.from(readFileSync(GOLDEN));
  version[META + 4] = 1;
  version[PAGE + META + 4] = 1;
  assert.throws(() => new BboltReader(version), (e) => notBbolt(e, /not a bbolt database: version mismatch \(1\)$/));
  assert.throws(() => new BboltReader(readFileSync(GOLDEN).subarray(0, 5 * PAGE)), (e) => notBbolt(e, /bbolt database truncated: 20480 bytes, meta says 10 pages of 4096$/));
});
