// etcd-ts started on a data dir real etcd wrote: the drop-in upgrade (stop Debian's etcd,
// start etcd-ts with the same flags on its --data-dir) and the runbook restore (Debian's
// `etcdctl snapshot restore`, then etcd-ts on the restored dir). The member's etcd files
// are migrated once into etcd-ts's and kept as member.etcd-backup; the member serves the
// same keys, revision, compaction, leases and ids, and takes new writes. With --wal-dir,
// etcd's segments in that dir are replaced by etcd-ts's and kept as <wal-dir>.etcd-backup.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { etcdctl, freePort, REAL_ETCDCTL, removeDir, startMember, stopMember, tempDir, waitReady, type Member } from '../helpers/processes.js';
import { clientEndpoint, initialCluster, leaderEndpoint, memberSpecs, peerUrl, spawnMember, waitFor } from '../helpers/cluster.js';

function ctl(endpoints: string, ...args: string[]): string {
  const r = etcdctl('real', ['--endpoints', endpoints, ...args]);
  assert.equal(r.status, 0, `etcdctl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

interface Status {
  header: { cluster_id: string | number; member_id: string | number; revision: number };
}

/** Ids as text: they are beyond JSON's exact integers, so compare their digits. */
function statusIds(ep: string): { member: string; cluster: string; revision: number } {
  const raw = ctl(ep, 'endpoint', 'status', '-w', 'json');
  const member = /"member_id":(\d+)/.exec(raw)![1]!;
  const cluster = /"cluster_id":(\d+)/.exec(raw)![1]!;
  const status = (JSON.parse(raw) as { Status: Status }[])[0]!.Status;
  return { member, cluster, revision: status.header.revision };
}

/** The key-values of `get --prefix ""`, without the header (raft term moves on a restart). */
function allKvs(ep: string): unknown {
  return (JSON.parse(ctl(ep, 'get', '--prefix', '', '-w', 'json')) as { kvs: unknown }).kvs;
}

test('drop-in upgrade: etcd-ts started on real etcd\'s data dir with the same flags serves its keys, revision, compaction, lease and ids', async (t) => {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const root = tempDir('etcd-dropin-');
  const dataDir = join(root, 'data');
  const members: Member[] = [];
  t.after(async () => {
    for (const m of members) await stopMember(m);
    removeDir(root);
  });
  const real = await startMember('real', { dataDir, clientPort, peerPort });
  members.push(real);
  for (let i = 0; i < 5; i++) ctl(real.endpoint, 'put', `k${i}`, `v${i}`);
  const lease = /lease ([0-9a-f]+) granted/.exec(ctl(real.endpoint, 'lease', 'grant', '600'))![1]!;
  ctl(real.endpoint, 'put', 'leased', 'x', `--lease=${lease}`);
  ctl(real.endpoint, 'compact', '4');
  ctl(real.endpoint, 'put', 'k0', 'v0b');
  const before = statusIds(real.endpoint);
  const kvsBefore = allKvs(real.endpoint);
  await stopMember(real, 'SIGTERM');

  const ours = await startMember('ours', { dataDir, clientPort, peerPort });
  members.push(ours);
  assert.match(ours.stderr(), /migrated the etcd data dir/);
  assert.ok(existsSync(join(dataDir, 'member.etcd-backup', 'wal')), 'etcd\'s files are kept');
  assert.deepEqual(statusIds(ours.endpoint), before);
  assert.deepEqual(allKvs(ours.endpoint), kvsBefore);
  assert.match(ctl(ours.endpoint, 'lease', 'list'), new RegExp(lease));
  const compacted = etcdctl('real', ['--endpoints', ours.endpoint, 'get', 'k1', '--rev=2']);
  assert.notEqual(compacted.status, 0);
  assert.match(compacted.stderr, /required revision has been compacted/);
  ctl(ours.endpoint, 'put', 'after', 'upgrade');
  assert.equal(statusIds(ours.endpoint).revision, before.revision + 1);
  await stopMember(ours);

  // The second start is a plain etcd-ts restart.
  const again = await startMember('ours', { dataDir, clientPort, peerPort });
  members.push(again);
  assert.doesNotMatch(again.stderr(), /migrat/);
  assert.equal(ctl(again.endpoint, 'get', 'after', '--print-value-only'), 'upgrade\n');
  assert.deepEqual(statusIds(again.endpoint), { ...before, revision: before.revision + 1 });
});

test('drop-in upgrade with --wal-dir on its own path: etcd-ts started with the same --data-dir and --wal-dir serves etcd\'s keys and revision, and new writes survive a restart', async (t) => {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const root = tempDir('etcd-dropin-waldir-');
  const dataDir = join(root, 'data');
  const walDir = join(root, 'wal-disk', 'wal');
  const extraArgs = ['--wal-dir', walDir];
  const members: Member[] = [];
  t.after(async () => {
    for (const m of members) await stopMember(m);
    removeDir(root);
  });
  const real = await startMember('real', { dataDir, clientPort, peerPort, extraArgs });
  members.push(real);
  for (let i = 0; i < 20; i++) ctl(real.endpoint, 'put', `/registry/k${i}`, `v${i}`);
  ctl(real.endpoint, 'del', '/registry/k7');
  const before = statusIds(real.endpoint);
  const kvsBefore = allKvs(real.endpoint);
  await stopMember(real, 'SIGTERM');
  // etcd 3.4's layout: the segments directly in --wal-dir, only snap/ under member/.
  assert.ok(readdirSync(walDir).some((n) => n.endsWith('.wal')));
  assert.equal(existsSync(join(dataDir, 'member', 'wal')), false);

  const ours = await startMember('ours', { dataDir, clientPort, peerPort, extraArgs });
  members.push(ours);
  assert.match(ours.stderr(), /migrated the etcd data dir/);
  assert.ok(readdirSync(`${walDir}.etcd-backup`).some((n) => n.endsWith('.wal')), 'etcd\'s segments are kept beside the --wal-dir');
  assert.ok(existsSync(join(dataDir, 'member.etcd-backup', 'snap', 'db')), 'etcd\'s db is kept');
  assert.equal(existsSync(join(dataDir, 'member', 'wal')), false, 'etcd-ts\'s WAL is in --wal-dir, not under member/');
  assert.deepEqual(statusIds(ours.endpoint), before);
  assert.deepEqual(allKvs(ours.endpoint), kvsBefore);
  ctl(ours.endpoint, 'put', '/after', 'upgrade');
  assert.equal(statusIds(ours.endpoint).revision, before.revision + 1);
  await stopMember(ours);

  const again = await startMember('ours', { dataDir, clientPort, peerPort, extraArgs });
  members.push(again);
  assert.doesNotMatch(again.stderr(), /migrat/);
  assert.equal(ctl(again.endpoint, 'get', '/after', '--print-value-only'), 'upgrade\n');
  assert.deepEqual(statusIds(again.endpoint), { ...before, revision: before.revision + 1 });
  assert.deepEqual(readdirSync(root).sort(), ['data', 'wal-disk']);
  assert.deepEqual(readdirSync(join(root, 'wal-disk')).sort(), ['wal', 'wal.etcd-backup']);
});

test('runbook restore: Debian\'s etcdctl snapshot restore of a real etcd snapshot, then etcd-ts on the restored dir serves every key', async (t) => {
  const root = tempDir('etcd-restore-real-');
  const members: Member[] = [];
  t.after(async () => {
    for (const m of members) await stopMember(m);
    removeDir(root);
  });
  const real = await startMember('real');
  members.push(real);
  for (let i = 0; i < 20; i++) ctl(real.endpoint, 'put', `/registry/k${i}`, `v${i}`);
  ctl(real.endpoint, 'del', '/registry/k3');
  const revision = statusIds(real.endpoint).revision;
  const kvsBefore = allKvs(real.endpoint);
  ctl(real.endpoint, 'snapshot', 'save', join(root, 'snap.db'));

  const [spec] = await memberSpecs(['m1']);
  const dataDir = join(root, 'restored');
  const restored = spawnSync(REAL_ETCDCTL, ['snapshot', 'restore', join(root, 'snap.db'), '--data-dir', dataDir, '--name', spec!.name, '--initial-cluster', initialCluster([spec!]), '--initial-advertise-peer-urls', peerUrl(spec!)], {
    encoding: 'utf8',
    env: { ...process.env, ETCDCTL_API: '3' },
  });
  assert.equal(restored.status, 0, restored.stderr);

  const ours = spawnMember('ours', spec!, { initialCluster: initialCluster([spec!]), state: 'new', dataDir });
  members.push(ours);
  await waitReady(ours);
  const ep = clientEndpoint(spec!);
  assert.deepEqual(allKvs(ep), kvsBefore);
  assert.equal(statusIds(ep).revision, revision);
  assert.match(ctl(ep, 'member', 'list'), new RegExp(`, started, m1, ${peerUrl(spec!)}, `));
  ctl(ep, 'put', '/after', 'restore');
  assert.equal(ctl(ep, 'get', '/after', '--print-value-only'), 'restore\n');
});

test('runbook restore of three members: each restored by Debian\'s etcdctl, etcd-ts members form the new cluster with every key', async (t) => {
  const root = tempDir('etcd-restore-real3-');
  const members: Member[] = [];
  t.after(async () => {
    for (const m of members) await stopMember(m);
    removeDir(root);
  });
  const real = await startMember('real');
  members.push(real);
  for (let i = 0; i < 10; i++) ctl(real.endpoint, 'put', `/registry/k${i}`, `v${i}`);
  const kvsBefore = allKvs(real.endpoint);
  ctl(real.endpoint, 'snapshot', 'save', join(root, 'snap.db'));

  const specs = await memberSpecs(['etcd-1', 'etcd-2', 'etcd-3']);
  const cluster = initialCluster(specs);
  for (const s of specs) {
    const r = spawnSync(REAL_ETCDCTL, ['snapshot', 'restore', 'snap.db', '--name', s.name, '--initial-cluster', cluster, '--initial-advertise-peer-urls', peerUrl(s)], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ETCDCTL_API: '3' },
    });
    assert.equal(r.status, 0, r.stderr);
  }
  const ours = specs.map((s) => spawnMember('ours', s, { initialCluster: cluster, state: 'new', dataDir: join(root, `${s.name}.etcd`) }));
  members.push(...ours);
  await Promise.all(ours.map((m) => waitReady(m)));
  const endpoints = specs.map(clientEndpoint);
  await waitFor('a leader in the restored cluster', () => leaderEndpoint(endpoints));
  const list = ctl(endpoints.join(','), 'member', 'list');
  for (const s of specs) assert.match(list, new RegExp(`, started, ${s.name}, ${peerUrl(s)}, `));
  ctl(endpoints.join(','), 'put', '/after', 'restore');
  for (const ep of endpoints) {
    await waitFor(`${ep} has the new write`, () => (etcdctl('real', ['--endpoints', ep, 'get', '/after', '--consistency=s', '--print-value-only']).stdout === 'restore\n' ? true : undefined));
    const kvs = (JSON.parse(ctl(ep, 'get', '/registry', '--prefix', '--consistency=s', '-w', 'json')) as { kvs: unknown }).kvs;
    assert.deepEqual(kvs, kvsBefore, `${ep} has every key`);
  }
});
