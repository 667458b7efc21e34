import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heapGrowingPercent } from '../../src/cli/heap-growth-policy.js';

const MiB = 2 ** 20;

test('a small live heap keeps V8 own growth factor', () => {
  assert.equal(heapGrowingPercent(0, 64 * MiB), 0);
  assert.equal(heapGrowingPercent(60 * MiB, 64 * MiB), 0);
});

test('a large live heap may only double before the next full GC', () => {
  assert.equal(heapGrowingPercent(64 * MiB, 64 * MiB), 100);
  assert.equal(heapGrowingPercent(400 * MiB, 64 * MiB), 100);
});
