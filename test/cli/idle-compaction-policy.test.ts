import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  afterIdleCompaction,
  idleCompactionStep,
  initialIdleState,
  type IdleCheck,
  type IdleCompactionState,
  type IdleCompactionThresholds,
} from '../../src/cli/idle-compaction-policy.js';

const MiB = 2 ** 20;
const t: IdleCompactionThresholds = { quietForMs: 10_000, maxQuietUtilization: 0.02, minGrowthBytes: 32 * MiB, maxHeapUsedBytes: 256 * MiB };
const at = (nowMs: number, activity: number, heapMiB: number, loopUtilization = 0.001, usedMiB = heapMiB / 2): IdleCheck => ({
  nowMs,
  activity,
  loopUtilization,
  heapCommittedBytes: heapMiB * MiB,
  heapUsedBytes: usedMiB * MiB,
});

/** Feeds checks in order; returns the times at which a compaction was asked for, and the last state. */
function run(checks: IdleCheck[], heapAfterCompactionMiB = 0): { compactedAt: number[]; state: IdleCompactionState } {
  let state = initialIdleState(checks[0]!);
  const compactedAt: number[] = [];
  for (const c of checks.slice(1)) {
    const step = idleCompactionStep(state, c, t);
    state = step.state;
    if (step.compact) {
      compactedAt.push(c.nowMs);
      state = afterIdleCompaction(state, heapAfterCompactionMiB * MiB);
    }
  }
  return { compactedAt, state };
}

test('a member that grew its heap during a burst compacts once after being quiet long enough', () => {
  const checks = [at(0, 0, 20), at(5_000, 1000, 200), at(10_000, 5000, 400), at(15_000, 5000, 400), at(20_000, 5000, 400), at(25_000, 5000, 400), at(30_000, 5000, 400)];
  // last activity seen at 10 s: quiet from then, 10 s later (20 s) it compacts, and only once
  assert.deepEqual(run(checks, 250).compactedAt, [20_000]);
});

test('never under load: a moving activity count or a busy loop resets the quiet spell', () => {
  const moving = Array.from({ length: 20 }, (_, i) => at(i * 5_000, i * 100, 400));
  assert.deepEqual(run(moving).compactedAt, []);
  // no client requests, but the loop is busy (e.g. peers' traffic or a slow gateway client)
  const busyLoop = Array.from({ length: 20 }, (_, i) => at(i * 5_000, 0, 400, 0.3));
  assert.deepEqual(run(busyLoop).compactedAt, []);
});

test('a quiet spell shorter than the threshold does not compact', () => {
  const checks = [at(0, 0, 20), at(5_000, 10, 400), at(10_000, 10, 400), at(14_999, 10, 400), at(15_000, 11, 400)];
  assert.deepEqual(run(checks).compactedAt, []);
});

test('a heap that has not grown since the last compaction is left alone', () => {
  const checks = [at(0, 0, 100), at(5_000, 0, 120), at(10_000, 0, 120), at(15_000, 0, 120)];
  assert.deepEqual(run(checks).compactedAt, []);
});

test('each new burst earns one more compaction, measured from what the last one left', () => {
  const checks = [
    at(0, 0, 20),
    at(5_000, 100, 300),
    at(15_000, 100, 300), // compacts: 280 MiB above the start
    at(20_000, 200, 270), // a small burst: 270 - 250 < 32 MiB
    at(30_000, 200, 270),
    at(35_000, 300, 400), // a large one
    at(45_000, 300, 400), // compacts again
  ];
  assert.deepEqual(run(checks, 250).compactedAt, [15_000, 45_000]);
});

test('a heap too large to copy within a short pause is left alone, however long the member is quiet', () => {
  const big = (nowMs: number, activity: number) => at(nowMs, activity, 900, 0.001, 600);
  const checks = [at(0, 0, 20), big(5_000, 1000), big(10_000, 5000), big(15_000, 5000), big(20_000, 5000), big(25_000, 5000)];
  assert.deepEqual(run(checks).compactedAt, []);
});
