// Member and cluster ids are computed as etcd computes them: golden values from
// `etcd` with no flags, and a live three-member real etcd 3.4.23 cluster on loopback
// whose `etcdctl member list -w json` ids must equal ours.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { parseServerArgs, type ServerConfig } from '../../src/embed/config.js';
import { bootstrapIds, computeClusterId, computeMemberId, formatId } from '../../src/embed/identity.js';
import { freePort, REAL_ETCDCTL, REAL_ETCD, removeDir, tempDir } from '../helpers/processes.js';

/** How long the real cluster may take to answer member list. */
const CLUSTER_READY_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 100;

test('etcd with no flags is member 8e9e05c52164694d in cluster cdf818194e3a8c32', () => {
  const out = parseServerArgs([], {});
  assert.equal(out.kind, 'config');
  const c = (out as { config: ServerConfig }).config;
  const { members, clusterId } = bootstrapIds(c.initialCluster, c.initialClusterToken);
  assert.equal(formatId(members[0]!.id), '8e9e05c52164694d');
  assert.equal(formatId(clusterId), 'cdf818194e3a8c32');
});

test('ids pinned from real etcd 3.4.23 logs for token "tkn"; member order does not matter', () => {
  const urls = ['http://127.0.0.1:12380', 'http://127.0.0.1:22380', 'http://127.0.0.1:32380'];
  const ids = urls.map((u) => computeMemberId([u], 'tkn'));
  assert.deepEqual(ids.map(formatId), ['77f41cbd71028a3a', 'e52329470e35c0c0', '763c9e70aa15678a']);
  assert.equal(formatId(computeClusterId(ids)), '998d851d58177d55');
  assert.equal(formatId(computeClusterId([...ids].reverse())), '998d851d58177d55');
  assert.equal(computeMemberId(['http://b:2', 'http://a:1'], 't'), computeMemberId(['http://a:1', 'http://b:2'], 't'), 'peer URLs are sorted first');
  assert.notEqual(computeMemberId(['http://a:1'], 't', 1_700_000_000), computeMemberId(['http://a:1'], 't'), 'members added later hash the time too');
});

test('a three-member --initial-cluster gets the ids real etcd gives it (live cluster)', async (t) => {
  const ports = await Promise.all(Array.from({ length: 6 }, () => freePort()));
  const names = ['infra0', 'infra1', 'infra2'];
  const peer = (i: number) => `http://127.0.0.1:${ports[2 * i]}`;
  const client = (i: number) => `http://127.0.0.1:${ports[2 * i + 1]}`;
  const initialCluster = names.map((n, i) => `${n}=${peer(i)}`).join(',');
  const token = `tok-${ports[0]}`;
  const dir = tempDir('etcd-ids-');
  const procs: ChildProcess[] = names.map((name, i) =>
    spawn(
      REAL_ETCD,
      [
        '--name', name,
        '--data-dir', join(dir, name),
        '--listen-peer-urls', peer(i),
        '--initial-advertise-peer-urls', peer(i),
        '--listen-client-urls', client(i),
        '--advertise-client-urls', client(i),
        '--initial-cluster', initialCluster,
        '--initial-cluster-token', token,
      ],
      { stdio: 'ignore' },
    ),
  );
  t.after(async () => {
    await Promise.all(procs.map((p) => new Promise<void>((r) => (p.exitCode !== null ? r() : (p.once('exit', () => r()), p.kill('SIGKILL'))))));
    removeDir(dir);
  });

  let listed: { header: { cluster_id: string | number }; members: { ID: string | number; name: string }[] } | undefined;
  const deadline = Date.now() + CLUSTER_READY_TIMEOUT_MS;
  while (!listed && Date.now() < deadline) {
    const r = spawnSync(REAL_ETCDCTL, ['--endpoints', client(0), 'member', 'list', '-w', 'json'], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
    if (r.status === 0) {
      // ids are uint64: read them as text so no precision is lost.
      listed = JSON.parse(r.stdout.replace(/"(cluster_id|member_id|ID)":(\d+)/g, '"$1":"$2"')) as typeof listed;
    } else {
      await new Promise((res) => setTimeout(res, POLL_INTERVAL_MS));
    }
  }
  assert.ok(listed, 'real etcd cluster answered member list');

  const out = parseServerArgs(['--name', 'infra0', '--initial-cluster', initialCluster, '--initial-cluster-token', token, '--initial-advertise-peer-urls', peer(0), '--listen-peer-urls', peer(0)], {});
  const c = (out as { config: ServerConfig }).config;
  const ours = bootstrapIds(c.initialCluster, c.initialClusterToken);
  assert.equal(BigInt(listed.header.cluster_id), ours.clusterId);
  const realIds = new Map(listed.members.map((m) => [m.name, BigInt(m.ID)]));
  for (const m of ours.members) assert.equal(formatId(realIds.get(m.name)!), formatId(m.id), m.name);
});
