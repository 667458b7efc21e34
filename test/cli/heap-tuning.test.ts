import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heapFlagsToSet } from '../../src/cli/heap-tuning.js';

test('etcd sets its GC flags when node was given none', () => {
  assert.deepEqual(heapFlagsToSet([], ''), ['--compact-on-every-full-gc', '--heap-growing-percent']);
});

test('a GC flag the user gave node, in either sense or spelling, is left alone', () => {
  assert.deepEqual(heapFlagsToSet(['--no-compact-on-every-full-gc'], ''), ['--heap-growing-percent']);
  assert.deepEqual(heapFlagsToSet([], '--max-old-space-size=4096 --no-compact_on_every_full_gc'), ['--heap-growing-percent']);
  assert.deepEqual(heapFlagsToSet(['--max-semi-space-size=8'], ''), ['--compact-on-every-full-gc', '--heap-growing-percent']);
  assert.deepEqual(heapFlagsToSet(['--heap_growing_percent=300', '--no-compact-on-every-full-gc'], ''), []);
  assert.deepEqual(heapFlagsToSet([], '--heap-growing-percent=50'), ['--compact-on-every-full-gc']);
});
