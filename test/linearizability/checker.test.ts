// The linearizability checker on hand-made histories whose verdict is known, on random
// histories that are linearizable by construction, and against a brute-force checker.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyKv, checkHistory, searchKey, type Operation } from '../../src/linearizability/index.js';
import { cas, casOut, del, deleted, generateHistory, get, got, INF, ok, op, pending, put, rng } from './history-builders.js';

const verdict = (h: Operation[]): string => checkHistory(h).outcome;

describe('linearizability checker: hand-made histories', () => {
  it('accepts a sequential history and an empty one', () => {
    assert.equal(verdict([]), 'ok');
    assert.equal(verdict([op(0, put('x', '1'), 0, 1, ok), op(0, get('x'), 2, 3, got('1')), op(1, del('x'), 4, 5, deleted(1)), op(1, get('x'), 6, 7, got(null))]), 'ok');
  });

  it('rejects a read of the initial state after a write completed (stale read)', () => {
    const h = [op(0, put('x', '1'), 0, 1, ok), op(0, put('x', '2'), 2, 3, ok), op(1, get('x'), 4, 5, got('1'))];
    const r = checkHistory(h);
    assert.equal(r.outcome, 'illegal');
    assert.equal(r.failure?.key, 'x');
    assert.equal(r.failure?.op, h[2]);
  });

  it('lets reads concurrent with a write see either value, but not go back in time', () => {
    const base = [op(0, put('x', '1'), 0, 1, ok), op(0, put('x', '2'), 2, 10, ok), op(1, get('x'), 3, 4, got('1')), op(2, get('x'), 5, 6, got('2'))];
    assert.equal(verdict(base), 'ok');
    assert.equal(verdict([...base, op(1, get('x'), 7, 8, got('1'))]), 'illegal');
    // Two overlapping reads may disagree in either order.
    assert.equal(verdict([op(0, put('x', '1'), 0, 1, ok), op(0, put('x', '2'), 2, 10, ok), op(1, get('x'), 3, 9, got('2')), op(2, get('x'), 4, 8, got('1'))]), 'ok');
  });

  it('rejects an acknowledged write missing from a later read (lost write)', () => {
    assert.equal(verdict([op(0, put('x', '1'), 0, 1, ok), op(1, get('x'), 5, 6, got(null))]), 'illegal');
    assert.equal(verdict([op(0, put('x', 'a'), 0, 1, ok), op(2, put('x', 'b'), 2, 3, ok), op(1, get('x'), 5, 6, got('a'))]), 'illegal');
  });

  it('rejects a value nobody wrote', () => {
    assert.equal(verdict([op(0, put('x', '1'), 0, 1, ok), op(1, get('x'), 0, 6, got('9'))]), 'illegal');
  });

  it('rejects two compare-and-sets that both succeed from the same value', () => {
    const start = op(0, put('x', 'a'), 0, 1, ok);
    assert.equal(verdict([start, op(1, cas('x', 'a', 'b'), 2, 3, casOut(true)), op(2, cas('x', 'a', 'c'), 4, 5, casOut(true))]), 'illegal');
    assert.equal(verdict([start, op(1, cas('x', 'a', 'b'), 2, 6, casOut(true)), op(2, cas('x', 'a', 'c'), 3, 5, casOut(true))]), 'illegal');
    // Concurrent, one wins and one loses: fine, in either order of the calls.
    assert.equal(verdict([start, op(1, cas('x', 'a', 'b'), 2, 6, casOut(false)), op(2, cas('x', 'a', 'c'), 3, 5, casOut(true))]), 'ok');
  });

  it('rejects a compare-and-set that failed although the value matched and nothing raced it', () => {
    assert.equal(verdict([op(0, put('x', 'a'), 0, 1, ok), op(1, cas('x', 'a', 'b'), 2, 3, casOut(false))]), 'illegal');
    assert.equal(verdict([op(0, put('x', 'a'), 0, 1, ok), op(1, cas('x', 'z', 'b'), 2, 3, casOut(true))]), 'illegal');
  });

  it('accepts compare-and-set on an absent key (create-if-absent) and its later reads', () => {
    assert.equal(verdict([op(0, cas('x', null, 'a'), 0, 1, casOut(true)), op(1, get('x'), 2, 3, got('a')), op(1, cas('x', null, 'b'), 4, 5, casOut(false))]), 'ok');
    assert.equal(verdict([op(0, cas('x', null, 'a'), 0, 1, casOut(true)), op(1, get('x'), 2, 3, got(null))]), 'illegal');
  });

  it('checks delete counts when known and accepts deletes whose count is unknown', () => {
    assert.equal(verdict([op(0, put('x', 'a'), 0, 1, ok), op(0, del('x'), 2, 3, deleted(0))]), 'illegal');
    assert.equal(verdict([op(0, put('x', 'a'), 0, 1, ok), op(0, del('x'), 2, 3, deleted()), op(0, get('x'), 4, 5, got(null))]), 'ok');
    assert.equal(verdict([op(0, put('x', 'a'), 0, 1, ok), op(0, del('x'), 2, 3, deleted()), op(0, get('x'), 4, 5, got('a'))]), 'illegal');
  });

  it('lets a pending write take effect at any later time, or never', () => {
    const w = pending(0, put('x', '1'), 0);
    assert.equal(verdict([w, op(1, get('x'), 5, 6, got('1'))]), 'ok', 'applied before the read');
    assert.equal(verdict([w, op(1, get('x'), 5, 6, got(null))]), 'ok', 'never applied');
    assert.equal(verdict([w, op(1, get('x'), 5, 6, got(null)), op(1, get('x'), 100, 101, got('1'))]), 'ok', 'applied late');
    assert.equal(verdict([w, op(1, get('x'), 5, 6, got('1')), op(1, get('x'), 7, 8, got(null))]), 'illegal', 'applied, then undone');
    // It cannot take effect before it was called.
    assert.equal(verdict([op(1, get('x'), 0, 1, got('1')), pending(0, put('x', '1'), 2)]), 'illegal');
  });

  it('lets a pending compare-and-set apply only where its comparison holds', () => {
    const start = op(0, put('x', 'a'), 0, 1, ok);
    assert.equal(verdict([start, pending(1, cas('x', 'a', 'b'), 2), op(2, get('x'), 3, 4, got('b'))]), 'ok');
    assert.equal(verdict([start, op(3, put('x', 'c'), 2, 3, ok), pending(1, cas('x', 'a', 'b'), 4), op(2, get('x'), 5, 6, got('b'))]), 'illegal');
  });

  it('treats an operation with unknown output as pending even if its error returned', () => {
    const failed: Operation = { client: 0, input: put('x', '1'), callMs: 0, returnMs: 1 };
    assert.equal(verdict([failed, op(1, get('x'), 5, 6, got(null)), op(1, get('x'), 7, 8, got('1'))]), 'ok');
  });

  it('drops reads that never answered', () => {
    const r = checkHistory([op(0, put('x', '1'), 0, 1, ok), { client: 1, input: get('x'), callMs: 2, returnMs: INF }]);
    assert.equal(r.outcome, 'ok');
    assert.equal(r.operations, 1);
  });

  it('checks keys independently and names the failing key', () => {
    const h = [
      op(0, put('x', '1'), 0, 1, ok), op(1, put('y', '1'), 0, 1, ok),
      op(0, get('x'), 2, 3, got('1')), op(1, get('y'), 2, 3, got(null)),
    ];
    const r = checkHistory(h);
    assert.equal(r.outcome, 'illegal');
    assert.equal(r.keys, 2);
    assert.equal(r.failure?.key, 'y');
  });

  it('explains a failure with the shortest failing prefix, not the whole history', () => {
    const h: Operation[] = [op(0, put('x', '1'), 0, 1, ok), op(1, get('x'), 2, 3, got('0')), pending(2, put('x', '0'), 10)];
    for (let i = 0; i < 20; i++) h.push(op(i % 3, put('x', `w${i}`), 20 + 2 * i, 21 + 2 * i, ok));
    const r = checkHistory(h);
    assert.equal(r.outcome, 'illegal');
    assert.equal(r.failure?.op, h[1]);
    assert.equal(r.failure?.prefix.length, 2);
    assert.match(r.failure!.text, /key "x": not linearizable; the first 2 operations/);
    assert.match(r.failure!.text, /client 1 \[2\.0, 3\.0\] get\(x\) -> "0"   <== cannot be placed/);
    assert.match(r.failure!.text, /the value read was written by:\n  client 2 \[10\.0, never\] put\(x, "0"\) -> \?/);
  });

  it('gives up with "unknown" when the search exceeds its step budget', () => {
    const h: Operation[] = [];
    for (let i = 0; i < 30; i++) h.push(op(i, put('x', `v${i}`), 0, 100, ok));
    h.push(op(99, get('x'), 101, 102, got('nobody wrote this')));
    const r = checkHistory(h, 1000);
    assert.equal(r.outcome, 'unknown');
    assert.deepEqual(r.undecidedKeys, ['x']);
  });
});

/** All orders respecting real time, each checked against the model: the definition itself. */
function bruteForce(ops: Operation[]): boolean {
  const norm = ops.filter((o) => o.output !== undefined || o.input.kind !== 'get').map((o) => (o.output === undefined ? { ...o, returnMs: INF } : o));
  const used = new Array<boolean>(norm.length).fill(false);
  const go = (state: string | null, placed: number): boolean => {
    if (placed === norm.length) return true;
    for (let i = 0; i < norm.length; i++) {
      if (used[i]) continue;
      const o = norm[i]!;
      // o may go next only if no unplaced operation returned before o was called.
      if (norm.some((p, j) => !used[j] && j !== i && p.returnMs < o.callMs)) continue;
      const { next, output } = applyKv(state, o.input);
      if (o.output !== undefined && JSON.stringify({ ...output, ...(o.output.kind === 'delete' && o.output.deleted === undefined ? { deleted: undefined } : {}) }) !== JSON.stringify(o.output)) continue;
      used[i] = true;
      const found = go(next, placed + 1);
      used[i] = false;
      if (found) return true;
    }
    return false;
  };
  return go(null, 0);
}

describe('linearizability checker: random histories', () => {
  it('accepts every history generated from a sequential execution (300 seeds)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const h = generateHistory(rng(seed), { ops: 150, keys: 3, spreadMs: 2, pendingRate: 0.05 });
      const r = checkHistory(h);
      assert.equal(r.outcome, 'ok', `seed ${seed}: ${r.failure?.text ?? r.outcome}`);
    }
  });

  it('usually rejects such a history after one read or compare-and-set answer is changed', () => {
    let rejected = 0;
    let tried = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const rand = rng(seed * 7919);
      const h = generateHistory(rand, { ops: 80, keys: 2, spreadMs: 1, pendingRate: 0.03 });
      const candidates = h.filter((o) => o.output?.kind === 'get' || o.output?.kind === 'cas');
      const victim = candidates[Math.floor(rand() * candidates.length)];
      if (victim === undefined) continue;
      const out = victim.output!;
      victim.output = out.kind === 'cas' ? { kind: 'cas', succeeded: !out.succeeded } : { kind: 'get', value: out.kind === 'get' && out.value === null ? 'never-written' : null };
      tried++;
      if (checkHistory(h).outcome === 'illegal') rejected++;
    }
    assert.ok(tried >= 190, `only ${tried} histories had a read or CAS`);
    // Some mutations stay linearizable (a concurrent write explains them); most must not.
    assert.ok(rejected / tried > 0.6, `rejected only ${rejected} of ${tried}`);
  });

  it('agrees with a brute-force search on small random histories (2000 seeds)', () => {
    let illegal = 0;
    for (let seed = 1; seed <= 2000; seed++) {
      const rand = rng(seed);
      const h = generateHistory(rand, { ops: 6, keys: 1, spreadMs: 1.5, pendingRate: 0.15 });
      // Perturb half of them so both verdicts occur.
      if (rand() < 0.5) {
        const v = h[Math.floor(rand() * h.length)]!;
        if (v.output?.kind === 'get') v.output = { kind: 'get', value: rand() < 0.5 ? null : `v${Math.floor(rand() * 6)}` };
        else if (v.output?.kind === 'cas') v.output = { kind: 'cas', succeeded: !v.output.succeeded };
      }
      const expected = bruteForce(h);
      if (!expected) illegal++;
      assert.equal(searchKey(h.map((o) => (o.output === undefined ? { ...o, returnMs: INF } : o)).filter((o) => o.output !== undefined || o.input.kind !== 'get')) === 'ok', expected, `seed ${seed}`);
    }
    assert.ok(illegal > 100, `only ${illegal} illegal histories: the comparison is too one-sided`);
  });
});
