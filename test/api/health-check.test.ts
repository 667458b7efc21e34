// etcd 3.5's /health decisions: alarms (unless excluded), then a leader (unless
// serializable), then a read; each failure names its reason as etcd does.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHealth, parseHealthQuery, type HealthProbes } from '../../src/api/health-check.js';
import { AlarmType } from '../../src/gen/etcdserverpb/rpc.js';

function probes(p: Partial<HealthProbes> & { readError?: Error }): HealthProbes & { reads: boolean[] } {
  const reads: boolean[] = [];
  return {
    reads,
    alarms: p.alarms ?? (() => []),
    hasLeader: p.hasLeader ?? (() => true),
    read: async (serializable) => {
      reads.push(serializable);
      if (p.readError) throw p.readError;
    },
    warn: () => undefined,
  };
}

test('a healthy member reads linearizably; ?serializable=true reads locally and needs no leader', async () => {
  const ok = probes({});
  assert.deepEqual(await checkHealth(ok, parseHealthQuery('/health')), { health: true, reason: '' });
  assert.deepEqual(ok.reads, [false]);
  const leaderless = probes({ hasLeader: () => false });
  assert.deepEqual(await checkHealth(leaderless, parseHealthQuery('/health')), { health: false, reason: 'RAFT NO LEADER' });
  assert.deepEqual(await checkHealth(leaderless, parseHealthQuery('/health?serializable=true')), { health: true, reason: '' });
  assert.deepEqual(leaderless.reads, [true]);
});

test('an active alarm makes the member unhealthy unless ?exclude= names it', async () => {
  const nospace = probes({ alarms: () => [AlarmType.NOSPACE] });
  assert.deepEqual(await checkHealth(nospace, parseHealthQuery('/health')), { health: false, reason: 'ALARM NOSPACE' });
  assert.deepEqual(await checkHealth(nospace, parseHealthQuery('/health?exclude=NOSPACE')), { health: true, reason: '' });
  const both = probes({ alarms: () => [AlarmType.NOSPACE, AlarmType.CORRUPT] });
  assert.deepEqual(await checkHealth(both, parseHealthQuery('/health?exclude=NOSPACE')), { health: false, reason: 'ALARM CORRUPT' });
  assert.deepEqual(await checkHealth(both, parseHealthQuery('/health?exclude=NOSPACE&exclude=CORRUPT')), { health: true, reason: '' });
});

test('a read that fails reports etcd 3.5\'s RANGE ERROR reason', async () => {
  const failing = probes({ readError: new Error('etcdserver: request timed out') });
  assert.deepEqual(await checkHealth(failing, parseHealthQuery('/health')), { health: false, reason: 'RANGE ERROR:etcdserver: request timed out' });
});
