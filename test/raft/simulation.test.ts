// Seeded randomized simulation of a raft cluster under faults (see sim-cluster.ts):
// message loss, duplication, delay and reordering, partitions, crashes (also in the
// middle of handling a Ready) and restarts from persisted state, log compaction with
// snapshot catch-up, and membership changes of a sixth member. The safety properties of
// the Raft paper are checked after every delivery round; after the faults stop, the
// cluster must elect a leader and commit again, and every voter must catch up with it
// (liveness under a healed network).
// RAFT_SIM_SEEDS=<n> runs more seeds (e.g. when hunting a bug).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SIM_CONFIG, HARSH_SIM_CONFIG, SimCluster, seeded } from './sim-cluster.js';

/** Sized so the raft suite stays well under a minute on two cores. */
const SEEDS = Number(process.env['RAFT_SIM_SEEDS'] ?? 60);
const FAULT_STEPS = 300;
/**
 * Right after the faults stop, nothing is proposed for a while: every voter must catch up
 * with the leader on heartbeats alone, however crashes, lost appends and rejected probes
 * left its log and the leader's view of it (a follower that rejected an append and is
 * never probed again is a liveness bug a leader and fresh commits would not reveal).
 */
const QUIET_STEPS = 100;
/** Faults stop: no loss, partitions or crashes (membership changes go on). */
const HEAL_STEPS = 100;
/** Membership changes stop too; the cluster must have a leader and commit. */
const CALM_STEPS = 100;

test(`randomized simulation: election safety, log matching, leader completeness and state machine safety hold under faults (${SEEDS} seeds)`, () => {
  const total = { crashes: 0, restarts: 0, snapshotsApplied: 0, confChangesApplied: 0, leaderTerms: 0, compactions: 0 };
  for (let seed = 1; seed <= SEEDS; seed++) {
    // Every third seed runs with far more loss, delay, partitions, crashes and compaction;
    // every other seed merges appends and their answers per Ready as servers do.
    const base = seed % 3 === 0 ? HARSH_SIM_CONFIG : DEFAULT_SIM_CONFIG;
    const c = new SimCluster(seeded(seed), { ...base, coalesceMessages: seed % 2 === 0 });
    let step = 0;
    try {
      for (; step < FAULT_STEPS; step++) c.step();
      c.healAll();
      c.setQuiet(true);
      for (let i = 0; i < QUIET_STEPS; i++, step++) c.step();
      assert.deepEqual(c.laggingVoters(), [], `seed ${seed}: every voter catches up with the leader without new proposals`);
      c.setQuiet(false);
      for (let i = 0; i < HEAL_STEPS; i++, step++) c.step();
      c.stopMembershipChanges();
      const before = c.committedCount();
      for (let i = 0; i < CALM_STEPS; i++, step++) c.step();
      assert.ok(c.leader(), `seed ${seed}: a leader after healing`);
      assert.ok(c.committedCount() > before, `seed ${seed}: commits resume after healing`);
    } catch (err) {
      throw new Error(`seed ${seed} step ${step}: ${(err as Error).message}`, { cause: err });
    }
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += c.stats[k];
  }
  // The run is only as good as what it exercised: every fault and feature must occur.
  for (const [k, v] of Object.entries(total)) assert.ok(v >= SEEDS / 4, `${k} happened only ${v} times over ${SEEDS} seeds`);
});
