// Migrating from real etcd: a snapshot saved from Debian's etcd 3.4 (a bbolt file) is
// read by our bbolt reader, reported by our `snapshot status` exactly as Debian's
// etcdctl reports it, and restored by our `snapshot restore` into a data dir that
// etcd-ts starts on, serving the same keys, revision and leases as real etcd restored
// from the same file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { etcdctl, freePort, removeDir, startMember, stopMember, tempDir, type Member } from '../helpers/processes.js';
import { etcdutl, normalizeSnapshotLog } from './helpers.js';
import { BboltReader, NotBboltError } from '../../src/storage/bbolt-reader.js';
import { decodeRev } from '../../src/mvcc/revision.js';
import { decodeKeyValue } from '../../src/mvcc/kv-codec.js';
import { decodeLease } from '../../src/lease/lease-codec.js';
import { Backend } from '../../src/storage/backend.js';

/**
 * Keys written in bulk so the `key` bucket spans several leaf pages under a branch page
 * (240 elements of ~75 bytes cannot fit one 4 KiB page).
 */
const BULK_KEYS = 240;
const TXN_OPS = 120;

function ok(which: 'ours' | 'real', args: string[], input?: string): string {
  const r = etcdctl(which, args, input);
  assert.equal(r.status, 0, `${which} etcdctl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

interface Source {
  dir: string;
  snap: string;
  leaseId: string;
}

/** Real etcd with a history worth restoring, saved with Debian's etcdctl. */
async function makeRealSnapshot(): Promise<Source> {
  const dir = tempDir('etcd-bbolt-');
  const m = await startMember('real', { dataDir: join(dir, 'src') });
  try {
    const ep = ['--endpoints', m.endpoint];
    ok('real', [...ep, 'put', 'a', '1']); // rev 2
    ok('real', [...ep, 'put', 'b', '2']); // rev 3
    ok('real', [...ep, 'put', 'a', '3']); // rev 4
    ok('real', [...ep, 'del', 'b']); // rev 5
    const leaseId = /lease ([0-9a-f]+) granted/.exec(ok('real', [...ep, 'lease', 'grant', '600']))![1]!;
    ok('real', [...ep, 'put', 'leased', 'x', '--lease', leaseId]); // rev 6
    ok('real', [...ep, 'compact', '4']);
    for (let start = 0; start < BULK_KEYS; start += TXN_OPS) {
      const puts = Array.from({ length: TXN_OPS }, (_, i) => `put bulk/${String(start + i).padStart(4, '0')} ${'v'.repeat(40)}`);
      ok('real', [...ep, 'txn'], `\n${puts.join('\n')}\n\n\n`); // revs 7, 8
    }
    ok('real', [...ep, 'put', 'big', 'x'.repeat(10_000)]); // rev 9: a value over several pages
    ok('real', [...ep, 'user', 'add', 'root:pw']);
    const snap = join(dir, 'snap.db');
    ok('real', [...ep, 'snapshot', 'save', snap]);
    return { dir, snap, leaseId };
  } finally {
    await stopMember(m);
  }
}

test('a snapshot of real etcd (bbolt)', async (t) => {
  const src = await makeRealSnapshot();
  t.after(() => removeDir(src.dir));

  await t.test('the reader walks every bucket in key order, as Debian etcdctl counts them', () => {
    const reader = new BboltReader(readFileSync(src.snap));
    assert.equal(reader.meta.pageSize, 4096);
    const names = reader.bucketNames().map((b) => b.toString());
    assert.deepEqual(names, [...names].sort());
    for (const b of ['key', 'meta', 'lease', 'auth', 'authUsers', 'members', 'cluster']) assert.ok(names.includes(b), b);

    const keys = [...reader.bucket('key')];
    // Revisions 3..6 (the compaction at 4 removed a@2, superseded by a@4), the bulk keys, big.
    assert.deepEqual(keys.slice(0, 4).map((e) => decodeRev(e.key).rev.main), [3, 4, 5, 6]);
    assert.equal(keys.length, 4 + BULK_KEYS + 1);
    for (let i = 1; i < keys.length; i++) assert.ok(Buffer.compare(keys[i - 1]!.key, keys[i]!.key) < 0, 'key order');
    const tomb = keys.find((e) => decodeRev(e.key).tombstone)!;
    assert.deepEqual(decodeRev(tomb.key).rev, { main: 5, sub: 0 });
    assert.equal(decodeKeyValue(tomb.value).key.toString(), 'b');
    const leased = keys.map((e) => decodeKeyValue(e.value)).find((kv) => kv.key.toString() === 'leased')!;
    assert.equal(leased.lease.toString(16).padStart(16, '0'), src.leaseId);
    const big = decodeKeyValue(keys.at(-1)!.value);
    assert.equal(big.key.toString(), 'big');
    assert.equal(big.value.toString(), 'x'.repeat(10_000));
    assert.equal(big.modRevision, 9);

    const leases = [...reader.bucket('lease')].map((e) => decodeLease(e.value));
    assert.deepEqual(leases.map((l) => [l.id.toString(16).padStart(16, '0'), l.ttlSec]), [[src.leaseId, 600]]);
    const meta = new Map([...reader.bucket('meta')].map((e) => [e.key.toString(), e.value]));
    assert.equal(decodeRev(meta.get('finishedCompactRev')!).rev.main, 4);
    assert.deepEqual([...reader.bucket('authUsers')].map((e) => e.key.toString()), ['root']);

    const debian = JSON.parse(ok('real', ['snapshot', 'status', src.snap, '-w', 'json'])) as { totalKey: number; totalSize: number };
    assert.equal([...reader.entries()].length, debian.totalKey);
    assert.equal(reader.sizeBytes, debian.totalSize);
  });

  await t.test('the reader refuses what is not bbolt: another format, a damaged meta', async () => {
    const dir = tempDir('etcd-bbolt-bad-');
    try {
      const lmdb = join(dir, 'lmdb.db');
      const be = Backend.open(lmdb);
      be.put('key', Buffer.from('k'), Buffer.from('v'));
      await be.close();
      assert.throws(() => new BboltReader(readFileSync(lmdb), lmdb), (e: Error) => e instanceof NotBboltError && e.message === `${lmdb}: not a bbolt database: invalid magic`);
      const damaged = Buffer.from(readFileSync(src.snap));
      damaged[16 + 8] ^= 0xff; // meta 0's page size: its checksum no longer holds
      damaged[4096 + 16 + 8] ^= 0xff;
      assert.throws(() => new BboltReader(damaged), /not a bbolt database: checksum error/);
    } finally {
      removeDir(dir);
    }
  });

  await t.test('our snapshot status (etcdctl and etcdutl) prints what Debian etcdctl prints', () => {
    for (const w of ['json', 'table', 'simple', 'fields']) {
      assert.equal(ok('ours', ['snapshot', 'status', src.snap, '-w', w]), ok('real', ['snapshot', 'status', src.snap, '-w', w]), w);
    }
    const utl = etcdutl(['snapshot', 'status', src.snap, '-w', 'json']);
    assert.equal(utl.status, 0, utl.stderr);
    assert.equal(utl.stdout, ok('real', ['snapshot', 'status', src.snap, '-w', 'json']));
  });

  await t.test('a file of neither format: status says "invalid database" as Debian etcdctl, restore refuses it', () => {
    const junk = join(src.dir, 'junk.db');
    writeFileSync(junk, 'not a database, not even close\n'.repeat(4));
    const ours = etcdctl('ours', ['snapshot', 'status', junk]);
    const real = etcdctl('real', ['snapshot', 'status', junk]);
    assert.deepEqual([ours.status, ours.stdout, ours.stderr], [real.status, real.stdout, real.stderr]);
    assert.equal(ours.stderr, 'Error: invalid database\n');
    const dataDir = join(src.dir, 'junk-restore');
    const restore = etcdctl('ours', ['snapshot', 'restore', junk, '--skip-hash-check', '--data-dir', dataDir]);
    assert.equal(restore.status, 1);
    assert.match(restore.stderr, new RegExp(`Error: cannot open database at ${dataDir}/member/snap/db \\(invalid database\\)`));
  });

  await t.test('a directory or a missing path: status and restore fail as Debian etcdctl does, and restore creates nothing', () => {
    const missing = join(src.dir, 'no-such.db');
    for (const path of [src.dir, missing]) {
      for (const args of [['snapshot', 'status', path], ['snapshot', 'restore', path]]) {
        const dataDir = (which: string) => join(src.dir, `not-restored-${which}`);
        const ours = etcdctl('ours', [...args, '--data-dir', dataDir('ours')]);
        const real = etcdctl('real', [...args, '--data-dir', dataDir('real')]);
        const errorLine = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('Error:'));
        assert.deepEqual([ours.status, ours.stdout, errorLine(ours.stderr)], [real.status, real.stdout, errorLine(real.stderr)], args.join(' '));
        assert.equal(existsSync(dataDir('ours')), existsSync(dataDir('real')), `${args.join(' ')}: data dir left behind`);
      }
    }
    assert.equal(etcdctl('ours', ['snapshot', 'restore', src.dir, '--data-dir', join(src.dir, 'x')]).stderr.split('\n').at(-2), `Error: read ${src.dir}: is a directory`);
  });

  await t.test('a damaged trailer is refused by restore unless --skip-hash-check', () => {
    const bad = join(src.dir, 'bad.db');
    const b = Buffer.from(readFileSync(src.snap));
    b[b.length - 1]! ^= 0xff;
    writeFileSync(bad, b);
    const flags = ['--name', 'x', '--initial-cluster', 'x=http://127.0.0.1:1', '--initial-advertise-peer-urls', 'http://127.0.0.1:1'];
    const ours = etcdctl('ours', ['snapshot', 'restore', bad, ...flags, '--data-dir', join(src.dir, 'bad-ours')]);
    const real = etcdctl('real', ['snapshot', 'restore', bad, ...flags, '--data-dir', join(src.dir, 'bad-real')]);
    assert.equal(ours.status, real.status);
    assert.match(ours.stderr, /Error: expected sha256 \[/);
    assert.equal(ours.stderr.split('\n').find((l) => l.startsWith('Error:')), real.stderr.split('\n').find((l) => l.startsWith('Error:')));
    assert.equal(etcdctl('ours', ['snapshot', 'restore', bad, ...flags, '--data-dir', join(src.dir, 'skip-ours'), '--skip-hash-check']).status, 0);
  });

  await t.test('restored by our etcdctl, etcd-ts serves what real etcd restored from the same file serves', async () => {
    const [clientOurs, clientReal, peer] = [await freePort(), await freePort(), await freePort()];
    const peerUrl = `http://127.0.0.1:${peer}`;
    const flags = ['--name', 'm1', '--initial-cluster', `m1=${peerUrl}`, '--initial-advertise-peer-urls', peerUrl];
    const ours = etcdctl('ours', ['snapshot', 'restore', src.snap, ...flags, '--data-dir', join(src.dir, 'restored')]);
    const real = etcdctl('real', ['snapshot', 'restore', src.snap, ...flags, '--data-dir', join(src.dir, 'restored')]);
    assert.equal(ours.status, 0, ours.stderr);
    assert.equal(real.status, 1, 'Debian refuses the existing data dir');
    removeDir(join(src.dir, 'restored'));
    const realAgain = etcdctl('real', ['snapshot', 'restore', src.snap, ...flags, '--data-dir', join(src.dir, 'restored')]);
    assert.equal(realAgain.status, 0, realAgain.stderr);
    assert.equal(normalizeSnapshotLog(ours.stderr), normalizeSnapshotLog(realAgain.stderr));
    assert.match(ours.stderr, /"restored-compact-revision":4/);
    removeDir(join(src.dir, 'restored'));
    assert.equal(etcdctl('ours', ['snapshot', 'restore', src.snap, ...flags, '--data-dir', join(src.dir, 'ours')]).status, 0);
    assert.equal(etcdctl('real', ['snapshot', 'restore', src.snap, ...flags, '--data-dir', join(src.dir, 'real')]).status, 0);

    const members: Member[] = [];
    t.after(async () => {
      for (const m of members) await stopMember(m);
    });
    // One at a time: both were restored for the same peer URL.
    const views: Record<string, string>[] = [];
    for (const [kind, client] of [['ours', clientOurs], ['real', clientReal]] as const) {
      const m = await startMember(kind, { dataDir: join(src.dir, kind), clientPort: client, peerPort: peer, extraArgs: ['--name', 'm1', '--initial-cluster', `m1=${peerUrl}`] });
      members.push(m);
      const ep = ['--endpoints', m.endpoint];
      const get = (args: string[]): string => ok('real', [...ep, 'get', ...args]);
      const header = (json: string): { revision: number; member_id: number; cluster_id: number } => (JSON.parse(json) as { header: { revision: number; member_id: number; cluster_id: number } }).header;
      const all = get(['', '--prefix', '-w', 'json']);
      const view: Record<string, string> = {
        kvs: JSON.stringify((JSON.parse(all) as { kvs: unknown }).kvs),
        header: JSON.stringify({ ...header(all), raft_term: undefined }),
        compacted: etcdctl('real', [...ep, 'get', 'a', '--rev', '3']).stderr.split('\n').find((l) => l.startsWith('Error:')) ?? '',
        leases: ok('real', [...ep, 'lease', 'list']),
        ttlKeys: ok('real', [...ep, 'lease', 'timetolive', src.leaseId, '--keys']).replace(/remaining\(-?\d+s\)/, 'remaining(N)'),
        members: ok('real', [...ep, 'member', 'list']).replace(String(client), '<client>'),
        users: ok('real', [...ep, 'user', 'list']),
        hashKv: ok('real', [...ep, 'endpoint', 'hashkv']).replace(String(client), '<client>'),
        put: ok('real', [...ep, 'put', 'after', 'restore']),
        newRev: String(header(get(['after', '-w', 'json'])).revision),
        newKv: get(['after', '-w', 'json']).replace(/"raft_term":\d+/, ''),
      };
      views.push(view);
      await stopMember(m);
    }
    const [o, r] = views as [Record<string, string>, Record<string, string>];
    assert.equal(JSON.parse(o.header!).revision, 9);
    assert.equal(o.newRev, '10');
    assert.match(o.leases!, new RegExp(`found 1 leases\\n${src.leaseId}\\n`));
    assert.match(o.ttlKeys!, /attached keys\(\[leased\]\)/);
    assert.match(o.compacted!, /required revision has been compacted/);
    assert.equal(o.users, 'root\n');
    assert.deepEqual(o, r);
  });
});
