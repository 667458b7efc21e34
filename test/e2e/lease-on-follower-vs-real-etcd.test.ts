// Leases used through a follower: keep-alives and time-to-live queries are answered by
// the leader, so a follower hands them over on the peer port (etcd's /leases and
// /leases/internal). Debian's etcdctl runs the same steps against a follower of a real
// etcd 3.4.23 cluster and of an etcd-ts cluster on the same addresses.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdctl } from '../helpers/processes.js';
import { clientEndpoint, leaderEndpoint, memberSpecs, startCluster, waitFor } from '../helpers/cluster.js';

async function session(kind: 'ours' | 'real', specs: Awaited<ReturnType<typeof memberSpecs>>): Promise<string[]> {
  const c = await startCluster(kind, specs);
  try {
    const endpoints = specs.map(clientEndpoint);
    const leader = await waitFor(`${kind}: a leader`, () => leaderEndpoint(endpoints));
    const follower = endpoints.find((e) => e !== leader)!;
    const ctl = (...args: string[]) => {
      const r = etcdctl('real', ['--endpoints', follower, ...args]);
      return { out: `$ etcdctl ${args.join(' ')}\n${r.stdout}${r.stderr.replace(/\{"level":"warn".*\n/g, '')}[exit ${r.status}]`, stdout: r.stdout };
    };
    const grant = ctl('lease', 'grant', '600');
    const id = /lease ([0-9a-f]+) granted/.exec(grant.stdout)?.[1];
    assert.ok(id, `${kind}: ${grant.out}`);
    const mask = (s: string) => s.replaceAll(id, '<lease>').replace(/remaining\(\d+s\)/g, 'remaining(Ns)').replace(/"ttl":\d+/g, '"ttl":N');
    const out = [grant.out, ctl('put', 'k', 'v', '--lease', id).out, ctl('lease', 'keep-alive', '--once', id).out, ctl('lease', 'timetolive', id).out, ctl('lease', 'timetolive', id, '--keys').out, ctl('lease', 'keep-alive', '--once', 'abc').out, ctl('lease', 'timetolive', 'abc').out, ctl('lease', 'revoke', id).out, ctl('lease', 'keep-alive', '--once', id).out, ctl('get', 'k').out];
    return out.map(mask);
  } finally {
    await c.stop();
  }
}

test('keep-alive and time-to-live through a follower answer as on real etcd', async () => {
  const specs = await memberSpecs(['l0', 'l1', 'l2']);
  const real = await session('real', specs);
  const ours = await session('ours', specs);
  assert.deepEqual(ours, real);
  assert.ok(real[2]!.includes('keepalived with TTL(600)'), real[2]);
});
