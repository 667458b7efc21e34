// The key index's point lookups agree with its ordered ranges, before and after compaction.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TreeIndex } from '../../src/mvcc/tree-index.js';

const b = (s: string) => Buffer.from(s, 'latin1');

function keysIn(index: TreeIndex, from: string, end: string): string[] {
  const out: string[] = [];
  index.visit(b(from), b(end), (_ki, key) => {
    out.push(key);
    return true;
  });
  return out;
}

test('point lookups, ranges and compaction agree', () => {
  const index = new TreeIndex();
  const names = ['b', 'a', 'd', 'c', 'e', '\xff', '\x00'];
  names.forEach((k, i) => index.getOrCreate(b(k)).put({ main: i + 2, sub: 0 }));
  assert.equal(index.size, names.length);
  for (const k of names) {
    // Visited with its own key, alone and as a one-key range.
    assert.deepEqual(keysIn(index, k, ''), [k]);
    assert.deepEqual(keysIn(index, k, k + '\x00'), [k]);
    // The same entry, not a second one.
    assert.equal(index.getOrCreate(b(k)), index.get(b(k)));
  }
  assert.equal(index.get(b('zz')), undefined);
  assert.deepEqual(keysIn(index, 'b', 'e'), ['b', 'c', 'd']);
  // A key deleted and compacted away is gone from lookups and ranges alike.
  index.get(b('c'))!.tombstone({ main: 20, sub: 0 });
  index.compact(20);
  assert.equal(index.get(b('c')), undefined);
  assert.deepEqual(keysIn(index, 'b', 'e'), ['b', 'd']);
  assert.equal(index.size, names.length - 1);
  // Recreated after compaction: a fresh history.
  index.getOrCreate(b('c')).put({ main: 21, sub: 0 });
  assert.equal(index.get(b('c'))?.get(21)?.created, 21);
  assert.deepEqual(keysIn(index, 'b', 'e'), ['b', 'c', 'd']);
});
