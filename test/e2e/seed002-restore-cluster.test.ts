// Seed 002's disaster recovery, as written there: a snapshot saved with Debian's etcdctl
// from a running member, `etcdctl snapshot restore snapshot.db --name etcd-N
// --initial-cluster ... --initial-advertise-peer-urls ...` once per member (no --data-dir:
// each lands in ./etcd-N.etcd), then the three members started on their restored data
// dirs form a new cluster that serves every key at the snapshot's revision.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { etcdctl, OUR_ETCDCTL, removeDir, startMember, stopMember, tempDir, waitReady } from '../helpers/processes.js';
import { clientEndpoint, initialCluster, leaderEndpoint, memberSpecs, peerUrl, spawnMember, waitFor } from '../helpers/cluster.js';

function ctl(endpoints: string, ...args: string[]) {
  const r = etcdctl('real', ['--endpoints', endpoints, ...args]);
  assert.equal(r.status, 0, `etcdctl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('seed 002: three members restored from one snapshot start as a new cluster with every key', async (t) => {
  const dir = tempDir('etcd-seed002-');
  const source = await startMember('ours');
  t.after(async () => {
    await stopMember(source);
    removeDir(source.dataDir);
    removeDir(dir);
  });
  ctl(source.endpoint, 'put', '/foo', 'bar');
  for (let i = 0; i < 20; i++) ctl(source.endpoint, 'put', `/registry/k${i}`, `v${i}`);
  ctl(source.endpoint, 'del', '/registry/k3');
  const revision = JSON.parse(ctl(source.endpoint, 'get', '/foo', '-w', 'json')).header.revision as number;
  // The seed's backup script: ETCDCTL_API=3 etcdctl --endpoints=$ENDPOINTS snapshot save $BACKUP_DIR/snapshot-$DATE.db
  const saved = etcdctl('real', [`--endpoints=${source.endpoint}`, 'snapshot', 'save', join(dir, 'snapshot.db')], undefined, { ETCDCTL_API: '3' });
  assert.equal(saved.status, 0, saved.stderr);

  const specs = await memberSpecs(['etcd-1', 'etcd-2', 'etcd-3']);
  const cluster = initialCluster(specs);
  for (const s of specs) {
    const r = spawnSync(process.execPath, [OUR_ETCDCTL, 'snapshot', 'restore', 'snapshot.db', '--name', s.name, '--initial-cluster', cluster, '--initial-advertise-peer-urls', peerUrl(s)], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(dir, `${s.name}.etcd`, 'member', 'wal')), `${s.name}.etcd was restored`);
  }

  // "service etcd start" on each: the restored data dirs carry the new cluster.
  const members = specs.map((s) => spawnMember('ours', s, { initialCluster: cluster, state: 'new', dataDir: join(dir, `${s.name}.etcd`) }));
  t.after(async () => {
    await Promise.all(members.map((m) => stopMember(m)));
  });
  await Promise.all(members.map((m) => waitReady(m)));
  const endpoints = specs.map(clientEndpoint);
  await waitFor('a leader in the restored cluster', () => leaderEndpoint(endpoints));

  const table = ctl(endpoints.join(','), '--write-out=table', 'member', 'list');
  for (const s of specs) assert.match(table, new RegExp(`\\| started \\| ${s.name} \\| ${peerUrl(s)} \\| http://127.0.0.1:${s.clientPort} \\|\\s+false \\|`));
  for (const ep of endpoints) {
    const got = JSON.parse(ctl(ep, 'get', '/registry', '--prefix', '--consistency=s', '-w', 'json')) as { header: { revision: number }; count: number };
    assert.equal(got.count, 19, `${ep} has every key`);
    assert.equal(got.header.revision, revision, `${ep} is at the snapshot's revision`);
  }
  // A write after the restore lands on the next revision everywhere.
  ctl(endpoints.join(','), 'put', '/after', 'restore');
  for (const ep of endpoints) {
    await waitFor(`${ep} has the new write`, () => (etcdctl('real', ['--endpoints', ep, 'get', '/after', '--consistency=s', '--print-value-only']).stdout === 'restore\n' ? true : undefined));
  }
  const hashes = endpoints.map((ep) => /"hash":(\d+)/.exec(ctl(ep, 'endpoint', 'hashkv', '-w', 'json'))![1]);
  assert.equal(new Set(hashes).size, 1, `hashkv equal on every member: ${hashes.join(' ')}`);
});
