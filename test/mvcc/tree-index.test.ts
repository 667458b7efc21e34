// The key index's lookups agree with its ordered ranges, with the point-lookup map and
// after the index outgrew it (tree-only mode).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TreeIndex } from '../../src/mvcc/tree-index.js';

const b = (s: string) => Buffer.from(s, 'latin1');

function keysIn(index: TreeIndex, from: string, end: string): string[] {
  const out: string[] = [];
  index.visit(b(from), b(end), (ki) => {
    out.push(ki.key.toString('latin1'));
    return true;
  });
  return out;
}

for (const maxHashed of [1_000, 3]) {
  test(`point lookups, ranges and compaction agree (map cap ${maxHashed})`, () => {
    const index = new TreeIndex(maxHashed);
    const names = ['b', 'a', 'd', 'c', 'e', '\xff', '\x00'];
    names.forEach((k, i) => index.getOrCreate(b(k)).put({ main: i + 2, sub: 0 }));
    assert.equal(index.size, names.length);
    for (const k of names) {
      assert.equal(index.get(b(k))?.key.toString('latin1'), k);
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
}
