// The watch-history checker on hand-made histories: a clean one passes, and each kind of
// anomaly (duplicate, gap, out-of-order, lost acknowledged write, phantom event, wrong
// final state, disagreeing watchers, canceled watch) is reported.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkWatches, type WatchCheckInput, type WatchedEvent, type WatcherRecord, type WriteRecord } from '../../src/linearizability/index.js';

const put = (key: string, value: string, revision: number): WatchedEvent => ({ type: 'put', key, value, revision });
const del = (key: string, revision: number): WatchedEvent => ({ type: 'delete', key, revision });

/** a=1 (rev 2), b=2 (3), delete a (4), b=3 by CAS (5); a failed CAS and an unknown put never happened. */
const WRITES: WriteRecord[] = [
  { type: 'put', key: 'a', value: '1', outcome: { status: 'applied', revision: 2 } },
  { type: 'put', key: 'b', value: '2', outcome: { status: 'applied', revision: 3 } },
  { type: 'delete', key: 'a', outcome: { status: 'applied', revision: 4 } },
  { type: 'put', key: 'b', value: '3', outcome: { status: 'applied', revision: 5 } },
  { type: 'put', key: 'a', value: 'cas-lost', outcome: { status: 'not-applied' } },
  { type: 'delete', key: 'a', outcome: { status: 'not-applied' } },
  { type: 'put', key: 'c', value: 'maybe', outcome: { status: 'unknown' } },
];

const HISTORY = [put('a', '1', 2), put('b', '2', 3), del('a', 4), put('b', '3', 5)];

function input(watchers: WatcherRecord[], writes = WRITES, finalKvs: [string, string][] = [['b', '3']], finalRevision = 5): WatchCheckInput {
  return { watchers, writes, final: { revision: finalRevision, kvs: new Map(finalKvs) }, baseRevision: 1 };
}

test('watchers that saw exactly the history pass', () => {
  const r = checkWatches(input([{ name: 'w0', events: HISTORY }, { name: 'w1', events: [...HISTORY] }]));
  assert.deepEqual(r.anomalies, []);
  assert.equal(r.events, 8);
});

test('an unknown write that did happen may appear, once, at its revision', () => {
  const events = [...HISTORY, put('c', 'maybe', 6)];
  const r = checkWatches(input([{ name: 'w0', events }], WRITES, [['b', '3'], ['c', 'maybe']], 6));
  assert.deepEqual(r.anomalies, []);
});

test('a duplicate event (a resume from the wrong revision) is reported', () => {
  const events = [put('a', '1', 2), put('b', '2', 3), put('b', '2', 3), del('a', 4), put('b', '3', 5)];
  const r = checkWatches(input([{ name: 'w0', events }]));
  assert.deepEqual(r.anomalies, ['watcher w0: duplicate: put "b"="2" at revision 3 delivered again']);
});

test('a gap (a resume that skipped a revision) is reported, with the acknowledged write it lost', () => {
  const events = [put('a', '1', 2), del('a', 4), put('b', '3', 5)];
  const r = checkWatches(input([{ name: 'w0', events }]));
  assert.deepEqual(r.anomalies, [
    'watcher w0: gap: revision 3 never observed',
    'watcher w0: acknowledged put "b"="2" at revision 3 has no event',
  ]);
});

test('a watcher that stopped short of the final revision has a gap at the end', () => {
  const r = checkWatches(input([{ name: 'w0', events: HISTORY.slice(0, 2) }]));
  assert.ok(r.anomalies.includes('watcher w0: gap: revisions 4..5 never observed'), r.anomalies.join('\n'));
  assert.ok(r.anomalies.some((a) => a.startsWith('watcher w0: final state: "a" is absent in the store but "1"')), r.anomalies.join('\n'));
});

test('an out-of-order event is reported', () => {
  const events = [put('a', '1', 2), del('a', 4), put('b', '2', 3), put('b', '3', 5)];
  const r = checkWatches(input([{ name: 'w0', events }]));
  assert.deepEqual(r.anomalies, ['watcher w0: out of order: put "b"="2" at revision 3 after revision 4']);
});

test('events for writes that did not happen are reported', () => {
  const events = [...HISTORY, put('a', 'cas-lost', 6), put('z', 'nobody', 7), del('b', 8)];
  const r = checkWatches(input([{ name: 'w0', events }], WRITES, [['a', 'cas-lost'], ['z', 'nobody']], 8));
  assert.deepEqual(r.anomalies, [
    'watcher w0: put "a"="cas-lost" at revision 6: that write was acknowledged as not applied',
    'watcher w0: put "z"="nobody" at revision 7: no client wrote this value',
    'watcher w0: delete "b" at revision 8: no delete of this key was acknowledged there or left unanswered',
  ]);
});

test('an acknowledged write seen at another revision or with another value is reported', () => {
  const events = [put('a', '1', 2), put('b', '3', 3), del('a', 4), put('b', '2', 5)];
  const r = checkWatches(input([{ name: 'w0', events }], WRITES, [['b', '2']]));
  assert.deepEqual(r.anomalies, [
    'watcher w0: acknowledged put "b"="2" at revision 3 but the event there is put "b"="3" at revision 3',
    'watcher w0: acknowledged put "b"="3" at revision 5 but the event there is put "b"="2" at revision 5',
    'watcher w0: put "b"="3" at revision 3: that write was acknowledged at revision 5',
    'watcher w0: put "b"="2" at revision 5: that write was acknowledged at revision 3',
  ]);
});

test('events that do not replay to the final read are reported', () => {
  const r = checkWatches(input([{ name: 'w0', events: HISTORY }], WRITES, [['b', '3'], ['a', '1']]));
  assert.deepEqual(r.anomalies, ['watcher w0: final state: "a" is "1" in the store but absent after replaying the events']);
});

test('watchers that disagree about a revision are reported, and a canceled watch too', () => {
  const other = [put('a', '1', 2), put('b', '2', 3), del('a', 4), put('c', 'maybe', 5)];
  const r = checkWatches(input([{ name: 'w0', events: HISTORY }, { name: 'w1', events: other, canceled: 'compacted at revision 3' }]));
  assert.ok(r.anomalies.includes('watcher w1: watch canceled: compacted at revision 3'), r.anomalies.join('\n'));
  assert.ok(r.anomalies.includes('watchers w0 and w1 disagree at revision 5: put "b"="3" at revision 5 vs put "c"="maybe" at revision 5'), r.anomalies.join('\n'));
});
