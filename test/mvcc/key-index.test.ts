// Table tests for one key's history: generations, tombstones, versions, and what
// compaction keeps — the worked example in src/mvcc/key-index.ts, executed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyIndex } from '../../src/mvcc/key-index.js';
import { decodeRev, encodeRev } from '../../src/mvcc/revision.js';

type Op = ['put', number, number?] | ['del', number, number?];

/** Builds a key index from ops: ['put', main, sub?] or ['del', main, sub?]. */
function build(ops: Op[]): KeyIndex {
  const ki = new KeyIndex();
  for (const [kind, main, sub = 0] of ops) {
    if (kind === 'put') ki.put({ main, sub });
    else assert.equal(ki.tombstone({ main, sub }), true);
  }
  return ki;
}

/** A read as "mod.sub/created/version", or "-" when absent. */
function at(ki: KeyIndex, rev: number): string {
  const r = ki.get(rev);
  return r ? `${r.modified.main}.${r.modified.sub}/c${r.created}/v${r.version}` : '-';
}

/** Generations as "created:[revs]" with 't' on a tombstone. */
function gens(ki: KeyIndex): string[] {
  return ki.generations.map(
    (g) => `c${g.created}:[${g.revs.map((r, i) => `${r.main}.${r.sub}${g.ended && i === g.revs.length - 1 ? 't' : ''}`).join(' ')}]`,
  );
}

const EXAMPLE: Op[] = [['put', 1], ['put', 2], ['del', 3], ['put', 4, 0], ['put', 4, 1]];

test('reads at each revision see the right generation, version and create revision', () => {
  const ki = build(EXAMPLE);
  const table: [number, string][] = [
    [0, '-'],
    [1, '1.0/c1/v1'],
    [2, '2.0/c1/v2'],
    [3, '-'],
    [4, '4.1/c4/v2'],
    [9, '4.1/c4/v2'],
  ];
  for (const [rev, want] of table) assert.equal(at(ki, rev), want, `get(${rev})`);
  assert.deepEqual(gens(ki), ['c1:[1.0 2.0 3.0t]', 'c4:[4.0 4.1]']);
});

test('compaction keeps the newest revision at or below it per generation and drops ended generations', () => {
  const table: { ops: Op[]; rev: number; keep: string[]; gens: string[] }[] = [
    { ops: EXAMPLE, rev: 1, keep: ['1_0'], gens: ['c1:[1.0 2.0 3.0t]', 'c4:[4.0 4.1]'] },
    { ops: EXAMPLE, rev: 2, keep: ['2_0'], gens: ['c1:[2.0 3.0t]', 'c4:[4.0 4.1]'] },
    { ops: EXAMPLE, rev: 3, keep: [], gens: ['c4:[4.0 4.1]'] },
    { ops: EXAMPLE, rev: 4, keep: ['4_1'], gens: ['c4:[4.1]'] },
    { ops: EXAMPLE, rev: 10, keep: ['4_1'], gens: ['c4:[4.1]'] },
    // A key deleted and never recreated disappears once compaction passes its tombstone.
    { ops: [['put', 2], ['del', 5]], rev: 4, keep: ['2_0'], gens: ['c2:[2.0 5.0t]'] },
    { ops: [['put', 2], ['del', 5]], rev: 5, keep: [], gens: [] },
    // Nothing at or below the compaction revision: everything stays, nothing is kept below.
    { ops: [['put', 7], ['put', 8]], rev: 5, keep: [], gens: ['c7:[7.0 8.0]'] },
  ];
  for (const { ops, rev, keep, gens: want } of table) {
    const ki = build(ops);
    const preview = new Set<string>();
    ki.keep(rev, preview);
    const kept = new Set<string>();
    const left = ki.compact(rev, kept);
    assert.deepEqual([...kept].sort(), keep, `keep set of compact(${rev}) on ${JSON.stringify(ops)}`);
    assert.deepEqual([...preview].sort(), keep, `keep(${rev}) previews compact(${rev})`);
    assert.deepEqual(gens(ki), want, `generations after compact(${rev})`);
    assert.equal(left, want.length > 0);
  }
});

test('after compaction, reads at or above the compaction revision are unchanged', () => {
  for (let c = 1; c <= 5; c++) {
    const before = build(EXAMPLE);
    const after = build(EXAMPLE);
    after.compact(c, new Set());
    for (let r = c; r <= 6; r++) assert.equal(at(after, r), at(before, r), `compact(${c}) then get(${r})`);
  }
});

test('a put restored from a compacted history keeps its stored version and create revision', () => {
  const ki = new KeyIndex();
  ki.restorePut({ main: 7, sub: 0 }, 3, 4);
  ki.restorePut({ main: 9, sub: 0 }, 3, 5);
  assert.equal(at(ki, 9), '9.0/c3/v5');
  assert.equal(at(ki, 8), '7.0/c3/v4');
  ki.put({ main: 10, sub: 0 });
  assert.equal(at(ki, 10), '10.0/c3/v6');
});

test('revisions must increase', () => {
  const ki = build([['put', 5]]);
  assert.throws(() => ki.put({ main: 5, sub: 0 }), /not newer/);
  assert.throws(() => ki.put({ main: 4, sub: 9 }), /not newer/);
  assert.equal(ki.tombstone({ main: 6, sub: 0 }), true);
  assert.equal(ki.tombstone({ main: 7, sub: 0 }), false, 'a deleted key cannot be deleted again');
});

test('revision bytes: 8-byte big-endian main, "_", 8-byte big-endian sub, trailing "t" for a tombstone', () => {
  assert.equal(encodeRev({ main: 5, sub: 1 }).toString('hex'), '00000000000000055f0000000000000001');
  assert.equal(encodeRev({ main: 2 ** 40 + 3, sub: 0 }, true).toString('hex'), '00000100000000035f000000000000000074');
  assert.deepEqual(decodeRev(encodeRev({ main: 2 ** 40 + 3, sub: 7 }, true)), { rev: { main: 2 ** 40 + 3, sub: 7 }, tombstone: true });
  const a = encodeRev({ main: 255, sub: 9 });
  const b = encodeRev({ main: 256, sub: 0 });
  assert.equal(Buffer.compare(a, b), -1, 'byte order is revision order');
});

test('a key past the compact form (many puts, then a delete) reads and compacts the same at every revision', () => {
  // Six puts cross the compact single-generation form's limit; the tombstone and the new
  // generation then need the general form. Versions and reads must not notice.
  const ops: Op[] = [['put', 1], ['put', 2], ['put', 3, 0], ['put', 3, 1], ['put', 4], ['put', 5], ['del', 6], ['put', 7]];
  const ki = build(ops);
  const want = ['-', '1.0/c1/v1', '2.0/c1/v2', '3.1/c1/v4', '4.0/c1/v5', '5.0/c1/v6', '-', '7.0/c7/v1'];
  for (let r = 0; r < want.length; r++) assert.equal(at(ki, r), want[r], `get(${r})`);
  const few = build([['put', 1], ['put', 2], ['put', 3]]);
  const kept = new Set<string>();
  assert.equal(few.compact(2, kept), true);
  assert.deepEqual([...kept], ['2_0']);
  assert.deepEqual(gens(few), ['c1:[2.0 3.0]']);
  assert.equal(at(few, 3), '3.0/c1/v3');
  few.put({ main: 4, sub: 0 });
  assert.equal(at(few, 4), '4.0/c1/v4');
});

test('a key written once (held as its revision alone) reads, compacts, grows and refuses older revisions like any other', () => {
  const once = build([['put', 5]]);
  assert.deepEqual([4, 0, 5, 9].map((r) => at(once, r)), ['-', '-', '5.0/c5/v1', '5.0/c5/v1']);
  assert.deepEqual(gens(once), ['c5:[5.0]']);
  assert.throws(() => once.put({ main: 5, sub: 0 }), /not newer/);
  const kept = new Set<string>();
  once.keep(7, kept);
  assert.deepEqual([...kept], ['5_0']);
  assert.equal(once.compact(7, kept), true);
  once.put({ main: 5, sub: 1 });
  assert.equal(at(once, 5), '5.1/c5/v2');
  assert.deepEqual(gens(once), ['c5:[5.0 5.1]']);

  // A lone put at sub revision 1 keeps the pair; a restored put below its create revision reads as trimmed.
  const sub1 = build([['put', 3, 1]]);
  assert.equal(at(sub1, 3), '3.1/c3/v1');
  const restored = new KeyIndex();
  restored.restorePut({ main: 8, sub: 0 }, 2, 6);
  assert.equal(at(restored, 5), '-');
  assert.equal(at(restored, 8), '8.0/c2/v6');

  // Compacting a few puts down to one leaves the lone form, which grows and deletes as before.
  const few = build([['put', 1], ['put', 2]]);
  assert.equal(few.compact(2, new Set()), true);
  assert.deepEqual(gens(few), ['c1:[2.0]']);
  assert.equal(at(few, 2), '2.0/c1/v2');
  assert.equal(few.tombstone({ main: 3, sub: 0 }), true);
  assert.deepEqual(gens(few), ['c1:[2.0 3.0t]']);
  assert.equal(at(few, 3), '-');
});

test('after each put, liveCreated and liveVersion answer what get() at the newest revision does', () => {
  const ki = new KeyIndex();
  // One put (the number form), a few more (the flat array), past FLAT_MAX_PUTS (generations),
  // a tombstone and a new generation, and puts sharing a main revision.
  const puts: [number, number][] = [[2, 0], [3, 0], [4, 1], [5, 0], [6, 0], [7, 0], [9, 0], [10, 0], [10, 1], [11, 0]];
  for (const [main, sub] of puts) {
    if (main === 9) assert.equal(ki.tombstone({ main: 8, sub: 0 }), true);
    ki.put({ main, sub });
    const at = ki.get(main)!;
    assert.equal(ki.liveCreated(), at.created, `created after put ${main}.${sub}`);
    assert.equal(ki.liveVersion(), at.version, `version after put ${main}.${sub}`);
  }
});
