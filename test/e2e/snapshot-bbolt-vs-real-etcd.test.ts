// The Snapshot rpc's blob is a bbolt database, as etcd's API promises: the seed runbooks'
// `etcdctl snapshot save; etcdctl snapshot status -w table; etcdctl snapshot restore`
// with Debian's etcdctl (which opens the file with bbolt) work on a snapshot of etcd-ts
// as on one of real etcd 3.4.23 with the same history, and a data dir restored from it
// serves the keys, under real etcd and under etcd-ts (which migrates a data dir that
// Debian's etcdctl restored, src/migrate).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { etcdctl, freePort, REPO_ROOT, removeDir, startMember, stopMember, tempDir, type Member } from '../helpers/processes.js';

interface StatusJson {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

/** Sequential keys put by bin/benchmark: enough for a bucket of several tree levels. */
const MANY_KEYS = 20_000;
const BIG_VALUE = 'v'.repeat(100 * 1024);

function ctl(which: 'ours' | 'real', args: string[], input?: string): string {
  const r = etcdctl(which, args, input);
  assert.equal(r.status, 0, `etcdctl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The same history on either server: puts, a delete, a 100 KiB value, a lease, a user and role, a compaction, many keys. */
function writeHistory(m: Member): void {
  const at = ['--endpoints', m.endpoint];
  ctl('real', [...at, 'put', 'a', '1']);
  ctl('real', [...at, 'put', 'b', '2']);
  ctl('real', [...at, 'put', 'a', '3']);
  ctl('real', [...at, 'del', 'b']);
  ctl('real', [...at, 'put', 'big'], BIG_VALUE);
  const lease = /lease ([0-9a-f]+) granted/.exec(ctl('real', [...at, 'lease', 'grant', '600']))![1]!;
  ctl('real', [...at, 'put', 'leased', 'x', '--lease', lease]);
  ctl('real', [...at, 'role', 'add', 'r1']);
  ctl('real', [...at, 'user', 'add', 'alice', '--new-user-password=pw', '--interactive=false']);
  ctl('real', [...at, 'user', 'grant-role', 'alice', 'r1']);
  ctl('real', [...at, 'compaction', '3']);
  const bench = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'benchmark'), 'put', '--endpoints', m.endpoint, '--total', String(MANY_KEYS), '--key-size', '12', '--val-size', '64', '--key-space-size', String(MANY_KEYS), '--sequential-keys', '--clients', '4'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(bench.status, 0, bench.stderr);
}

function status(which: 'ours' | 'real', path: string): StatusJson {
  return JSON.parse(ctl(which, ['snapshot', 'status', path, '-w', 'json'])) as StatusJson;
}

/** What a user sees of a member's data: a, big and leased, the number of keys (a range's count ignores its limit), the lease, the user. */
function served(m: Member): string[] {
  const at = ['--endpoints', m.endpoint];
  const count = (JSON.parse(ctl('real', [...at, 'get', '', '--prefix', '--keys-only', '--limit', '1', '-w', 'json'])) as { count: number }).count;
  return [
    ctl('real', [...at, 'get', 'a']),
    String(ctl('real', [...at, 'get', 'big', '--print-value-only']) === `${BIG_VALUE}\n`),
    ctl('real', [...at, 'get', 'leased']),
    `count ${count}`,
    ctl('real', [...at, 'lease', 'list']),
    ctl('real', [...at, 'user', 'get', 'alice']),
  ];
}

async function restoreAndServe(which: 'ours' | 'real', server: 'ours' | 'real', snapshot: string, dir: string): Promise<string[]> {
  const peerPort = await freePort();
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const dataDir = join(dir, `restored-by-${which}-for-${server}`);
  ctl(which, ['snapshot', 'restore', snapshot, '--name', 'default', '--data-dir', dataDir, '--initial-cluster', `default=${peerUrl}`, '--initial-advertise-peer-urls', peerUrl]);
  const m = await startMember(server, { dataDir, peerPort });
  try {
    return served(m);
  } finally {
    await stopMember(m);
  }
}

test("Debian's etcdctl saves, inspects and restores a snapshot of etcd-ts as one of real etcd", async (t) => {
  const dir = tempDir('etcd-snapshot-bbolt-');
  const ours = await startMember('ours');
  const real = await startMember('real');
  t.after(async () => {
    await stopMember(ours);
    await stopMember(real);
    removeDir(ours.dataDir);
    removeDir(real.dataDir);
    removeDir(dir);
  });
  writeHistory(ours);
  writeHistory(real);
  const oursDb = join(dir, 'ours.db');
  const realDb = join(dir, 'real.db');
  ctl('real', ['--endpoints', ours.endpoint, 'snapshot', 'save', oursDb]);
  ctl('real', ['--endpoints', real.endpoint, 'snapshot', 'save', realDb]);
  const wantServed = served(ours);

  await t.test("Debian's etcdctl reads our snapshot's status, with the figures our etcdctl gives", () => {
    const debian = status('real', oursDb);
    const mine = status('ours', oursDb);
    assert.deepEqual(mine, debian);
    const fromReal = status('real', realDb);
    assert.equal(debian.revision, fromReal.revision);
    // etcd-ts keeps etcd 3.5's `term` in the meta bucket, which 3.4.23 does not write.
    assert.equal(debian.totalKey, fromReal.totalKey + 1);
    const table = ctl('real', ['snapshot', 'status', oursDb, '--write-out=table']);
    assert.match(table, new RegExp(`\\| +${debian.revision} \\| +${debian.totalKey} \\|`));
  });

  await t.test("Debian's etcdctl restores our snapshot; real etcd serves the restored data dir", async () => {
    assert.deepEqual(await restoreAndServe('real', 'real', oursDb, dir), wantServed);
  });

  await t.test("Debian's etcdctl restores our snapshot; etcd-ts migrates and serves the restored data dir", async () => {
    assert.deepEqual(await restoreAndServe('real', 'ours', oursDb, dir), wantServed);
  });

  await t.test('our etcdctl restores our snapshot; etcd-ts serves the restored data dir', async () => {
    assert.deepEqual(await restoreAndServe('ours', 'ours', oursDb, dir), wantServed);
  });

  await t.test('the JSON gateway streams the same kind of file', async () => {
    const res = await fetch(`${ours.clientUrl}/v3/maintenance/snapshot`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 200);
    const lines = (await res.text()).trim().split('\n');
    const blob = Buffer.concat(lines.map((l) => Buffer.from((JSON.parse(l) as { result: { blob: string } }).result.blob, 'base64')));
    const viaGateway = join(dir, 'gateway.db');
    writeFileSync(viaGateway, blob);
    const st = status('real', viaGateway);
    assert.equal(st.revision, status('real', oursDb).revision);
  });
});
