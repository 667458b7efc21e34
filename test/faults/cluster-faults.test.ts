// A short seeded fault run against a spawned three-member cluster: every fault kind once
// (kill -9 and restart of leader and follower, leader and follower partitioned through the
// peer proxies, leader and follower paused), with concurrent clients whose history must be
// linearizable, no acknowledged write lost, a leader within a few election timeouts, and
// whole-key-space watch histories that are ordered, unique, gap-free and match the writes.
// A negative control proves the run can fail: stale (serializable) reads under a partition.
//
// It runs against etcd-ts; the same run against real etcd 3.4 is one line away
// (MEMBER_BINARY = REAL_ETCD_BINARY), and `scripts/fault-run.mjs --binary real` does it too.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OUR_ETCD_BINARY } from './cluster.js';
import { ALL_FAULTS, runFaults } from './fault-runner.js';

const MEMBER_BINARY = OUR_ETCD_BINARY;

const SEED = 20_240_611;

describe(`fault injection on a three-member cluster (${MEMBER_BINARY.label})`, () => {
  it('stays linearizable, loses no acknowledged write and elects leaders under every fault kind', { timeout: 180_000 }, async () => {
    // Ten election timeouts (5 s) for a leader: etcd needs one or two, and the slack is for
    // a loaded two-core test machine, not for the cluster.
    // Every kind at least once however slow the machine is: the run goes on until all were injected.
    const r = await runFaults({ binary: MEMBER_BINARY, seed: SEED, durationMs: 20_000, cycle: true, minFaults: ALL_FAULTS.length, leaderBoundElections: 10 });
    assert.deepEqual(r.anomalies, [], `anomalies: ${r.anomalies.join('; ')}\n${r.memberLogs}`);
    assert.deepEqual(new Set(r.faults.map((f) => f.kind)), new Set(ALL_FAULTS), 'every fault kind was injected');
    assert.equal(r.check.outcome, 'ok');
    assert.ok(r.ops.ok > 200, `only ${r.ops.ok} operations completed`);
    assert.ok(r.acknowledgedUnique > 20, `only ${r.acknowledgedUnique} write-once keys acknowledged`);
    // Three whole-key-space watchers each saw every write of the run (anomalies are in r.anomalies).
    assert.deepEqual(r.watch.anomalies, []);
    assert.ok(r.watch.events > 3 * 100, `only ${r.watch.events} watch events checked`);
  });

  it('catches stale serializable reads from a partitioned follower (negative control)', { timeout: 120_000 }, async () => {
    // Clients stay on their member, so one is always on the cut-off follower, reading its
    // frozen state while the majority moves on; short deadlines keep it issuing reads.
    const r = await runFaults({
      binary: MEMBER_BINARY, seed: SEED, durationMs: 5_000, faults: ['partition-follower'],
      serializableReads: true, stickyEndpoints: true, holdMs: 2_500, opTimeoutMs: 300,
    });
    assert.equal(r.check.outcome, 'illegal', `expected a stale read to be caught; anomalies: ${r.anomalies.join('; ')}`);
    assert.match(r.check.failure!.text, /get\(k\d\) -> .*<== cannot be placed/);
  });
});
