import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shouldCompactNextFullGc, type CompactionThresholds } from '../../src/cli/compaction-policy.js';

const MiB = 2 ** 20;
const t: CompactionThresholds = { startRatio: 1.3, minSlackBytes: 32 * MiB, stopRatio: 1.1 };
const sample = (committedMiB: number, usedMiB: number) => ({ committedBytes: committedMiB * MiB, usedBytes: usedMiB * MiB });

test('a full GC that left old space dense does not make the next one compact', () => {
  assert.equal(shouldCompactNextFullGc(false, sample(210, 200), t), false);
  assert.equal(shouldCompactNextFullGc(false, sample(255, 200), t), false);
});

test('a full GC that left old space much larger than its live objects makes the next one compact', () => {
  assert.equal(shouldCompactNextFullGc(false, sample(129, 49), t), true);
  assert.equal(shouldCompactNextFullGc(false, sample(260, 200), t), true);
});

test('a small heap is never compacted for its page rounding alone', () => {
  // 3x, but only 20 MiB that compaction could give back
  assert.equal(shouldCompactNextFullGc(false, sample(30, 10), t), false);
  assert.equal(shouldCompactNextFullGc(true, sample(30, 10), t), false);
});

test('compaction stays on until old space is close to its live size, so the decision does not flip around one threshold', () => {
  // between the two ratios: keeps whatever it was doing
  assert.equal(shouldCompactNextFullGc(true, sample(240, 200), t), true);
  assert.equal(shouldCompactNextFullGc(false, sample(240, 200), t), false);
  // close to live again: back to V8's own heuristics
  assert.equal(shouldCompactNextFullGc(true, sample(215, 200), t), false);
});

test('the default thresholds compact a heap as fragmented as the one measured after loading 200,000 keys', () => {
  assert.equal(shouldCompactNextFullGc(false, sample(129, 49)), true);
  assert.equal(shouldCompactNextFullGc(false, sample(52, 49)), false);
});
