// Where a WAL batch's fdatasync runs, decided from injected durations (no clocks, no disk).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FsyncPlacement } from '../../src/wal/fsync-placement.js';

test('lone one-entry saves on a fast disk fsync on the loop', () => {
  const p = new FsyncPlacement({ maxOnLoopMs: 3 });
  for (let i = 0; i < 5; i++) {
    assert.equal(p.onLoop(1, false), true, `save ${i}`);
    p.record(0.4);
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
  p.record(0.5);
  assert.equal(p.onLoop(1, false), true);
  p.record(40); // a busy disk: 0.5 + (40 - 0.5) / 4 = 10.4 ms
  assert.ok(p.estimateMs > 3);
  assert.equal(p.onLoop(1, false), false, 'the next one must not stall the loop');
  let pooled = 0;
  while (!p.onLoop(1, false)) {
    p.record(1); // the disk is fast again (pool durations include the hand-off)
    pooled++;
    assert.ok(pooled < 50, 'never returned to the loop');
  }
  assert.ok(pooled >= 3, `back on the loop after ${pooled} fast fsyncs, not at once`);
  assert.ok(p.estimateMs <= 3);
});

test('a disk that stays slow keeps every fsync in the thread pool', () => {
  const p = new FsyncPlacement({ maxOnLoopMs: 3 });
  p.record(15);
  for (let i = 0; i < 20; i++) {
    assert.equal(p.onLoop(1, false), false, `save ${i}`);
    p.record(10 + (i % 3) * 20);
  }
});

test('the first measured fsync sets the estimate', () => {
  const p = new FsyncPlacement({ maxOnLoopMs: 3 });
  assert.equal(p.estimateMs, 0);
  p.record(50);
  assert.equal(p.estimateMs, 50);
  assert.equal(p.onLoop(1, false), false);
});
