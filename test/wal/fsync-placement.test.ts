// Where a WAL batch's fdatasync runs, decided from injected durations (no clocks, no disk).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FsyncPlacement } from '../../src/wal/fsync-placement.js';

test('lone one-entry saves on a fast disk fsync on the loop', () => {
  const p = new FsyncPlacement({ maxOnLoopMs: 3 });
  for (let i = 0; i < 5; i++) {
    assert.equal(p.onLoop(1, false), true, `save ${i}`);
    p.record(0.4, true);
  }
});

test('a batch of many entries, and the batch right after it, use the thread pool', () => {
  const p = new FsyncPlacement({ maxOnLoopMs: 3 });
  assert.equal(p.onLoop(1, false), true);
  assert.equal(p.onLoop(8, false), false, 'concurrent writers coalesced');
  assert.equal(p.onLoop(1, false), false, 'the previous batch had many entries');
  assert.equal(p.onLoop(1, false), true, 'two lone batches in a row');
});

test('other waiting work keeps the fsync off the loop', () => {
  const p = new FsyncPlacement({ maxOnLoopMs: 3 });
  assert.equal(p.onLoop(1, true), false);
  assert.equal(p.onLoop(1, false), true);
  assert.equal(p.onLoop(0, true), false, 'a hard-state-only save too');
});

test('one slow fsync moves the fsyncs to the thread pool; fast ones bring them back', () => {
  const p = new FsyncPlacement({ maxOnLoopMs: 3, estimateWeight: 0.25 });
  p.record(0.5, true);
  assert.equal(p.onLoop(1, false), true);
  p.record(40, true); // a busy disk: 0.5 + (40 - 0.5) / 4 = 10.4 ms
  assert.ok(p.estimateMs > 3);
  assert.equal(p.onLoop(1, false), false, 'the next one must not stall the loop');
  let pooled = 0;
  while (!p.onLoop(1, false)) {
    p.record(1, false); // the disk is fast again (pool durations include the hand-off)
    pooled++;
    assert.ok(pooled < 50, 'never returned to the loop');
  }
  assert.ok(pooled >= 3, `back on the loop after ${pooled} fast fsyncs, not at once`);
  assert.ok(p.estimateMs <= 3);
});

test('a disk that stays slow keeps all but one lone fsync in PROBE_EVERY in the thread pool', () => {
  const p = new FsyncPlacement({ maxOnLoopMs: 3, probeEvery: 8 });
  p.record(15, true);
  let onLoop = 0;
  for (let i = 0; i < 40; i++) {
    const loop = p.onLoop(1, false);
    if (loop) onLoop++;
    p.record(10 + (i % 3) * 20, loop);
  }
  assert.equal(onLoop, 5, 'one probe per 8 lone saves');
  assert.ok(p.estimateMs > 3);
});

test('pool fsyncs slowed only by the hand-off do not keep a fast disk off the loop: a probe measures the disk', () => {
  const p = new FsyncPlacement({ maxOnLoopMs: 3, probeEvery: 8 });
  p.record(40, true); // one slow fsync on the loop
  let pooled = 0;
  while (!p.onLoop(1, false)) {
    p.record(7, false); // a busy CPU: two wake-ups around a fast syscall
    pooled++;
    assert.ok(pooled < 100, 'never probed');
  }
  assert.equal(pooled, 7, 'the eighth lone save is the probe');
  assert.ok(p.estimateMs > 3, 'the pool durations alone did not bring it back');
  p.record(0.8, true); // the probe: the disk itself is fast
  assert.equal(p.estimateMs, 0.8);
  assert.equal(p.onLoop(1, false), true, 'back on the loop');
});

test('a slow pool fsync does not raise the estimate; a slow one on the loop does', () => {
  const p = new FsyncPlacement({ maxOnLoopMs: 3, estimateWeight: 0.5 });
  p.record(1, true);
  p.record(20, false);
  assert.equal(p.estimateMs, 1);
  assert.equal(p.onLoop(1, false), true);
  p.record(21, true);
  assert.equal(p.estimateMs, 11);
});

test('batches with company never probe', () => {
  const p = new FsyncPlacement({ maxOnLoopMs: 3, probeEvery: 2 });
  p.record(50, true);
  for (let i = 0; i < 10; i++) assert.equal(p.onLoop(1, true), false, `save ${i}`);
  for (let i = 0; i < 10; i++) assert.equal(p.onLoop(5, false), false, `batch ${i}`);
});

test('the first measured fsync sets the estimate', () => {
  const p = new FsyncPlacement({ maxOnLoopMs: 3 });
  assert.equal(p.estimateMs, 0);
  p.record(50, false);
  assert.equal(p.estimateMs, 50);
  assert.equal(p.onLoop(1, false), false);
});
