// Range coverage as etcd's auth decides it: single keys, ranges, prefixes, open ends,
// and unions of adjacent or overlapping grants.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { covers, mergeIntervals, toInterval } from '../../src/auth/permissions.js';

const b = (s: string) => Buffer.from(s);
const ZERO = Buffer.from([0]);

function granted(...perms: [string, string?][]) {
  return mergeIntervals(perms.map(([k, e]) => toInterval(b(k), e === undefined ? undefined : e === '\0' ? ZERO : b(e))));
}

test('a single-key grant covers only that key', () => {
  const g = granted(['foo']);
  assert.equal(covers(g, toInterval(b('foo'), undefined)), true);
  assert.equal(covers(g, toInterval(b('foo0'), undefined)), false);
  assert.equal(covers(g, toInterval(b('fo'), undefined)), false);
  assert.equal(covers(g, toInterval(b('foo'), b('fop'))), false);
});

const cases: { name: string; grants: [string, string?][]; key: string; end?: string; want: boolean }[] = [
  { name: 'key inside a range', grants: [['a', 'c']], key: 'b', want: true },
  { name: 'range end is exclusive', grants: [['a', 'c']], key: 'c', want: false },
  { name: 'sub-range', grants: [['a', 'c']], key: 'a', end: 'c', want: true },
  { name: 'range sticking out', grants: [['a', 'c']], key: 'b', end: 'd', want: false },
  { name: 'adjacent grants join', grants: [['a', 'c'], ['c', 'e']], key: 'b', end: 'd', want: true },
  { name: 'a gap between grants', grants: [['a', 'c'], ['d', 'e']], key: 'b', end: 'd', want: false },
  { name: 'overlapping grants join', grants: [['a', 'd'], ['b', 'f']], key: 'a', end: 'f', want: true },
  { name: 'open-ended grant covers every later key', grants: [['m', '\0']], key: 'zzz', want: true },
  { name: 'open-ended grant covers an open-ended request', grants: [['m', '\0']], key: 'n', end: '\0', want: true },
  { name: 'open-ended request beyond a closed grant', grants: [['a', 'z']], key: 'b', end: '\0', want: false },
  { name: 'open-ended grant does not reach back', grants: [['m', '\0']], key: 'l', want: false },
  { name: 'prefix grant', grants: [['/p/', '/p0']], key: '/p/x/y', want: true },
  { name: 'prefix grant excludes the bare prefix parent', grants: [['/p/', '/p0']], key: '/p', want: false },
  { name: 'single-key grant next to a range grant', grants: [['a'], ['a\0', 'c']], key: 'a', end: 'c', want: true },
  { name: 'no grants', grants: [], key: 'a', want: false },
];

for (const c of cases) {
  test(`coverage: ${c.name}`, () => {
    const end = c.end === undefined ? undefined : c.end === '\0' ? ZERO : b(c.end);
    assert.equal(covers(granted(...c.grants), toInterval(b(c.key), end)), c.want);
  });
}
