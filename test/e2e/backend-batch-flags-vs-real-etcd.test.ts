// --backend-batch-interval and --backend-batch-limit decide when applied writes reach the
// backend file. Both members run with a one-hour interval: with a limit far above the puts
// made, nothing is committed after start-up, however long the test takes; with a small limit,
// the puts alone start commits. Counted on etcd_disk_backend_commit_duration_seconds_count,
// the same on real etcd and etcd-ts (etcd-ts once accepted both flags and ignored them).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdctl, withMember, type Member } from '../helpers/processes.js';
import { waitFor } from '../helpers/cluster.js';

const PUTS = 30;

async function commits(m: Member): Promise<number> {
  const text = await (await fetch(`${m.clientUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('etcd_disk_backend_commit_duration_seconds_count '));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

function put(m: Member, i: number): void {
  const r = etcdctl('real', [`--endpoints=${m.endpoint}`, 'put', `k${i}`, 'v']);
  assert.equal(r.status, 0, r.stderr);
}

interface Seen {
  /** Commits made by the puts under a limit they never reach. */
  underLimit: number;
  /** Whether the puts under a small limit started a commit. */
  limitCommitted: boolean;
}

async function observe(kind: 'ours' | 'real'): Promise<Seen> {
  const seen: Seen = { underLimit: -1, limitCommitted: false };
  await withMember(kind, { extraArgs: ['--backend-batch-interval=1h', '--backend-batch-limit=1000000'] }, async (high) => {
    const before = await commits(high);
    for (let i = 0; i < PUTS; i++) put(high, i);
    seen.underLimit = (await commits(high)) - before;
  });
  await withMember(kind, { extraArgs: ['--backend-batch-interval=1h', '--backend-batch-limit=10'] }, async (low) => {
    const before = await commits(low);
    for (let i = 0; i < PUTS; i++) put(low, i);
    seen.limitCommitted = (await waitFor('a commit started by the batch limit', async () => ((await commits(low)) > before ? true : undefined))) === true;
  });
  return seen;
}

test('--backend-batch-interval and --backend-batch-limit decide backend commits as on real etcd', async () => {
  const real = await observe('real');
  const ours = await observe('ours');
  assert.deepEqual(real, { underLimit: 0, limitCommitted: true });
  assert.deepEqual(ours, real);
});
