// Snapshots end to end: Debian's etcdctl and ours save from etcd-ts through the
// Snapshot rpc; etcdutl reads the file's figures; a restore starts a member that serves
// the same keys at the same revision; damaged files are refused unless told otherwise.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { etcdctl, freePort, removeDir, startMember, stopMember, tempDir, type Member } from '../helpers/processes.js';
import { etcdutl, normalizeSnapshotLog, postFresh, trailerMatches } from './helpers.js';

interface StatusJson {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

function put(m: Member, key: string, value: string, extra: string[] = []): void {
  const r = etcdctl('real', ['--endpoints', m.endpoint, 'put', key, value, ...extra]);
  assert.equal(r.status, 0, r.stderr);
}

function save(which: 'ours' | 'real', m: Member, path: string) {
  return etcdctl(which, ['--endpoints', m.endpoint, 'snapshot', 'save', path]);
}

function status(path: string): StatusJson {
  const r = etcdutl(['snapshot', 'status', path, '-w', 'json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as StatusJson;
}

test('snapshot save, status and restore against etcd-ts', async (t) => {
  const dir = tempDir('etcd-snapshot-e2e-');
  const m = await startMember('ours');
  t.after(async () => {
    await stopMember(m);
    removeDir(dir);
    removeDir(m.dataDir);
  });
  put(m, 'a', '1');
  put(m, 'b', '2');
  put(m, 'a', '3');
  const grant = etcdctl('real', ['--endpoints', m.endpoint, 'lease', 'grant', '600']);
  assert.equal(grant.status, 0, grant.stderr);
  const leaseId = /lease ([0-9a-f]+) granted/.exec(grant.stdout)![1]!;
  put(m, 'leased', 'x', ['--lease', leaseId]);

  const first = join(dir, 'first.db');
  await t.test("Debian's etcdctl saves a snapshot from etcd-ts; the file ends with the SHA-256 of the rest", () => {
    const r = save('real', m, first);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `Snapshot saved at ${first}\n`);
    assert.ok(trailerMatches(first));
    assert.ok(!existsSync(`${first}.part`));
  });

  await t.test('our etcdctl saves the same bytes with the same output as Debian’s', () => {
    const ours = join(dir, 'ours.db');
    const real = join(dir, 'real.db');
    const o = save('ours', m, ours);
    const r = save('real', m, real);
    assert.equal(o.status, 0, o.stderr);
    assert.equal(o.stdout, `Snapshot saved at ${ours}\n`);
    assert.ok(readFileSync(ours).equals(readFileSync(real)), 'no write happened between the two saves');
    const paths: [string, string][] = [[ours, '<file>'], [real, '<file>']];
    assert.equal(normalizeSnapshotLog(o.stderr, paths), normalizeSnapshotLog(r.stderr, paths));
  });

  await t.test('snapshot save errors and exit codes match Debian’s etcdctl', () => {
    const cases = [
      ['snapshot', 'save'],
      ['--endpoints', `${m.endpoint},127.0.0.1:1`, 'snapshot', 'save', join(dir, 'x.db')],
      ['--endpoints', m.endpoint, 'snapshot', 'save', join(dir, 'no-such-dir', 'x.db')],
    ];
    for (const args of cases) {
      const o = etcdctl('ours', args);
      const r = etcdctl('real', args);
      assert.deepEqual({ status: o.status, stdout: o.stdout, stderr: o.stderr }, { status: r.status, stdout: r.stdout, stderr: r.stderr }, args.join(' '));
    }
  });

  await t.test('etcdutl snapshot status: revision and entries follow the writes', () => {
    const before = status(first);
    assert.equal(before.revision, 5);
    assert.equal(before.totalSize, readFileSync(first).length - 32);
    put(m, 'c', '4');
    put(m, 'd', '5');
    put(m, 'c', '6');
    const later = join(dir, 'later.db');
    assert.equal(save('ours', m, later).status, 0);
    const after = status(later);
    assert.equal(after.revision, 8);
    // Three more revisions in the key bucket; every other bucket holds as many entries as before.
    assert.equal(after.totalKey, before.totalKey + 3);
    assert.notEqual(after.hash, before.hash);
    const simple = etcdutl(['snapshot', 'status', later]);
    assert.match(simple.stdout, new RegExp(`^${after.hash.toString(16)}, 8, ${after.totalKey}, \\d+ kB\\n$`));
    const ctl = etcdctl('ours', ['-w', 'json', 'snapshot', 'status', later]);
    assert.deepEqual(JSON.parse(ctl.stdout), after);
  });

  await t.test('restore into a new data dir: bin/etcd serves the same keys at the same revision, with its lease', async () => {
    const peerPort = await freePort();
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const dataDir = join(dir, 'restored');
    const r = etcdutl(['snapshot', 'restore', first, '--name', 'fresh', '--data-dir', dataDir, '--initial-cluster', `fresh=${peerUrl}`, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster-token', 'tok']);
    assert.equal(r.status, 0, r.stderr);
    const restored = await startMember('ours', { dataDir, peerPort, extraArgs: ['--name', 'fresh', '--initial-cluster', `fresh=${peerUrl}`] });
    try {
      const get = etcdctl('real', ['--endpoints', restored.endpoint, 'get', '', '--prefix', '-w', 'json']);
      const body = JSON.parse(get.stdout) as { header: { revision: number }; kvs: { key: string; value: string; lease?: number }[] };
      assert.equal(body.header.revision, 5);
      const kv = body.kvs.map((k) => [Buffer.from(k.key, 'base64').toString(), Buffer.from(k.value, 'base64').toString()]);
      assert.deepEqual(kv, [['a', '3'], ['b', '2'], ['leased', 'x']]);
      const leases = etcdctl('real', ['--endpoints', restored.endpoint, 'lease', 'list']);
      assert.match(leases.stdout, new RegExp(`^${leaseId}$`, 'm'));
      const members = etcdctl('real', ['--endpoints', restored.endpoint, 'member', 'list']);
      assert.equal(members.status, 0, members.stderr);
      assert.match(members.stdout, new RegExp(`^[0-9a-f]+, started, fresh, ${peerUrl}, ${restored.clientUrl}, false\\n$`));
      // A write after the restart lands on the next revision: nothing was re-applied or lost.
      put(restored, 'e', '7');
      const e = JSON.parse(etcdctl('real', ['--endpoints', restored.endpoint, 'get', 'e', '-w', 'json']).stdout) as { header: { revision: number } };
      assert.equal(e.header.revision, 6);
    } finally {
      await stopMember(restored);
    }
  });

  await t.test('a damaged snapshot is refused; --skip-hash-check accepts it', () => {
    const bytes = readFileSync(first);
    const damaged = join(dir, 'damaged.db');
    const copy = Buffer.from(bytes);
    // A byte of the last page (a leaf): the file still opens, its digest no longer matches.
    copy[bytes.length - 32 - 100] ^= 0xff;
    writeFileSync(damaged, copy);
    const refused = etcdutl(['snapshot', 'restore', damaged, '--data-dir', join(dir, 'd1')]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^Error: expected sha256 \[[\d ]+\], got \[[\d ]+\]\n$/m);
    const accepted = etcdutl(['snapshot', 'restore', damaged, '--data-dir', join(dir, 'd2'), '--skip-hash-check']);
    assert.equal(accepted.status, 0, accepted.stderr);
    assert.ok(existsSync(join(dir, 'd2', 'member', 'wal')));

    const bare = join(dir, 'bare.db');
    writeFileSync(bare, bytes.subarray(0, bytes.length - 32));
    const noHash = etcdctl('ours', ['snapshot', 'restore', bare, '--data-dir', join(dir, 'd3')]);
    assert.equal(noHash.status, 1);
    assert.match(noHash.stderr, /^Error: snapshot missing hash but --skip-hash-check=false\n$/m);
    assert.equal(etcdctl('ours', ['snapshot', 'restore', bare, '--data-dir', join(dir, 'd4'), '--skip-hash-check']).status, 0);
  });

  await t.test('POST /v3/maintenance/snapshot streams the pieces and then their SHA-256, as etcd’s gateway does', async () => {
    const res = await postFresh(`${m.clientUrl}/v3/maintenance/snapshot`, '{}');
    assert.equal(res.status, 200);
    const lines = res.body.trim().split('\n').map((l) => JSON.parse(l) as { result: { remaining_bytes?: string; blob: string; header?: unknown } });
    const pieces = lines.slice(0, -1).map((l) => Buffer.from(l.result.blob, 'base64'));
    const total = pieces.reduce((n, p) => n + p.length, 0);
    let left = total;
    for (const [i, l] of lines.slice(0, -1).entries()) {
      left -= pieces[i]!.length;
      assert.equal(l.result.remaining_bytes, left === 0 ? undefined : String(left));
      assert.equal(l.result.header, undefined);
    }
    assert.ok(pieces.slice(0, -1).every((p) => p.length === 32 * 1024));
    const digest = Buffer.from(lines[lines.length - 1]!.result.blob, 'base64');
    const { createHash } = await import('node:crypto');
    assert.ok(digest.equals(createHash('sha256').update(Buffer.concat(pieces)).digest()));
  });
});
