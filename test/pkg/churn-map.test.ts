import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ChurnMap } from '../../src/pkg/churn-map.js';

test('ChurnMap answers get, has, size and delete as a Map does', () => {
  const m = new ChurnMap<bigint, string>();
  assert.equal(m.size, 0);
  assert.equal(m.get(1n), undefined);
  m.set(1n, 'a').set(2n, 'b');
  assert.equal(m.size, 2);
  assert.equal(m.get(1n), 'a');
  assert.equal(m.has(2n), true);
  m.set(1n, 'c');
  assert.equal(m.size, 2, 'setting a present key replaces its value');
  assert.equal(m.get(1n), 'c');
  assert.equal(m.delete(1n), true);
  assert.equal(m.delete(1n), false);
  assert.equal(m.has(1n), false);
  assert.equal(m.get(1n), undefined);
  assert.equal(m.size, 1);
});

test('ChurnMap iterates in insertion order, a replaced value keeping its place', () => {
  const m = new ChurnMap<number, string>();
  m.set(3, 'x').set(1, 'y').set(2, 'z').set(3, 'w');
  assert.deepEqual([...m], [[3, 'w'], [1, 'y'], [2, 'z']]);
  assert.deepEqual([...m.keys()], [3, 1, 2]);
  assert.deepEqual([...m.values()], ['w', 'y', 'z']);
});

test('ChurnMap: deleting during iteration skips the deleted entries, and a reused slot carries no old value', () => {
  const m = new ChurnMap<number, string>();
  for (let i = 0; i < 6; i++) m.set(i, `v${i}`);
  const seen: number[] = [];
  for (const [k] of m) {
    seen.push(k);
    m.delete(k);
    m.delete(k + 1);
  }
  assert.deepEqual(seen, [0, 2, 4]);
  assert.equal(m.size, 0);
  // The emptied slots are reused for new keys; the old keys stay absent.
  m.set(10, 'ten');
  m.set(11, 'eleven');
  assert.equal(m.get(0), undefined);
  assert.equal(m.get(1), undefined);
  assert.deepEqual([...m], [[10, 'ten'], [11, 'eleven']]);
  m.clear();
  assert.equal(m.size, 0);
  assert.deepEqual([...m.values()], []);
});

// The reason the class exists: with a long-lived table and short-lived entries, a Map's
// replaced hash tables keep the values that were in it alive until a full GC, so
// scavenges copy them into old space; a ChurnMap's do not. Measured in a child process
// with only minor GCs after the table has been made old.
const CHILD = `
import v8 from 'node:v8';
const { ChurnMap } = await import(process.argv[1]);
const oldUsed = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_used_size;
const m = process.argv[2] === 'map' ? new Map() : new ChurnMap();
m.set(-1, {});
m.delete(-1);
gc(); gc();
const before = oldUsed();
const live = [];
for (let i = 0; i < 20000; i++) {
  m.set(i, { payload: new Array(64).fill(i) });
  live.push(i);
  if (live.length > 50) m.delete(live.shift());
}
for (const k of live) m.delete(k);
gc({ type: 'minor' });
gc({ type: 'minor' });
process.stdout.write(String(oldUsed() - before));
`;

function promotedBytes(kind: 'map' | 'churn'): number {
  const modulePath = new URL('../../src/pkg/churn-map.js', import.meta.url).href;
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD, modulePath, kind], { encoding: 'utf8' });
  return Number(out);
}

test('ChurnMap: values of deleted entries are not promoted through stale hash tables, as a Map\'s are', () => {
  // 20,000 values of ~600 bytes each pass through the table, at most 51 at a time.
  const viaMap = promotedBytes('map');
  const viaChurnMap = promotedBytes('churn');
  assert.ok(viaMap > 5e6, `a Map's stale tables promote most values (${viaMap} bytes)`);
  assert.ok(viaChurnMap < viaMap / 4, `ChurnMap promoted ${viaChurnMap} bytes, a Map ${viaMap}`);
});
