// The search at the heart of the checker, for ONE key's sub-history: Wing & Gong's
// backtracking over "which pending operation takes effect next", with Lowe's two
// improvements as porcupine uses them:
//
// - Just-in-time linearization. Events (calls and returns) sit in a doubly linked list in
//   time order. Walking it, a call may be linearized now (if the model accepts its output
//   from the current state): it and its return are lifted out of the list and the walk
//   restarts at the head. Reaching a return means its operation should already have been
//   linearized (it finished before anything after it started), so the last choice is undone.
// - Memoization. The set of linearized operations plus the model state fully determines
//   what can still happen, so a (bitset, state) pair seen before is never explored again.
//
// Operations with unknown output and return time Infinity ("pending") have their return
// events at the very end of the list; any state accepts them, so once every completed
// operation is linearized the remaining pending ones can be placed afterwards (or be
// considered never applied — no later observation distinguishes the two).

import { applyKv, INITIAL_STATE, outputMatches, type KvState } from './kv-model.js';
import type { Operation } from './history.js';

/** Search steps allowed per key before giving up with 'unknown'. */
export const MAX_SEARCH_STEPS = 20_000_000;

interface Node {
  /** Index into the operation array. */
  op: number;
  isCall: boolean;
  /** For a call: its return node. */
  match: Node | undefined;
  prev: Node | undefined;
  next: Node | undefined;
}

export type SearchOutcome = 'ok' | 'illegal' | 'unknown';

/** Builds the event list (head is a sentinel). Ties: calls before returns, the permissive order. */
function buildList(ops: readonly Operation[]): Node {
  const events: { time: number; isCall: boolean; op: number }[] = [];
  ops.forEach((o, i) => {
    events.push({ time: o.callMs, isCall: true, op: i });
    events.push({ time: o.returnMs, isCall: false, op: i });
  });
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op - b.op : a.isCall ? -1 : 1));
  const head: Node = { op: -1, isCall: false, match: undefined, prev: undefined, next: undefined };
  const returns = new Map<number, Node>();
  let tail = head;
  const calls: Node[] = [];
  for (const e of events) {
    const n: Node = { op: e.op, isCall: e.isCall, match: undefined, prev: tail, next: undefined };
    tail.next = n;
    tail = n;
    if (e.isCall) calls.push(n);
    else returns.set(e.op, n);
  }
  for (const c of calls) c.match = returns.get(c.op);
  return head;
}

function lift(call: Node): void {
  const ret = call.match!;
  call.prev!.next = call.next;
  if (call.next !== undefined) call.next.prev = call.prev;
  ret.prev!.next = ret.next;
  if (ret.next !== undefined) ret.next.prev = ret.prev;
}

/** Exact inverse of lift, so it must run in reverse order of the lifts. */
function unlift(call: Node): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next !== undefined) ret.next.prev = ret;
  call.prev!.next = call;
  if (call.next !== undefined) call.next.prev = call;
}

class Bitset {
  private readonly words: Uint32Array;
  constructor(bits: number) {
    this.words = new Uint32Array(Math.ceil(bits / 32) || 1);
  }
  set(i: number): void {
    this.words[i >>> 5]! |= 1 << (i & 31);
  }
  clear(i: number): void {
    this.words[i >>> 5]! &= ~(1 << (i & 31));
  }
  /** A string identity, used with the state as the memo key. */
  key(): string {
    return Array.from(this.words, (w) => w.toString(36)).join(',');
  }
}

/**
 * Whether one key's operations are linearizable from INITIAL_STATE. Every operation must
 * touch the same key; pending reads should have been removed by the caller.
 */
export function searchKey(ops: readonly Operation[], maxSteps = MAX_SEARCH_STEPS): SearchOutcome {
  if (ops.length === 0) return 'ok';
  const head = buildList(ops);
  const linearized = new Bitset(ops.length);
  const seen = new Set<string>();
  const stack: { call: Node; state: KvState }[] = [];
  let state: KvState = INITIAL_STATE;
  let entry = head.next;
  let steps = 0;
  while (head.next !== undefined) {
    if (++steps > maxSteps) return 'unknown';
    // Everything left is a pending operation's return (they sort last): done.
    if (entry === undefined) return 'ok';
    const op = ops[entry.op]!;
    if (entry.isCall) {
      const { next, output } = applyKv(state, op.input);
      if (op.output === undefined || outputMatches(output, op.output)) {
        linearized.set(entry.op);
        const memo = `${linearized.key()}|${next === null ? '\u0000' : next}`;
        if (!seen.has(memo)) {
          seen.add(memo);
          stack.push({ call: entry, state });
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        linearized.clear(entry.op);
      }
      entry = entry.next;
    } else {
      if (op.returnMs === Number.POSITIVE_INFINITY) return 'ok';
      // A completed operation's return reached while it is still unplaced: backtrack.
      const top = stack.pop();
      if (top === undefined) return 'illegal';
      state = top.state;
      linearized.clear(top.call.op);
      unlift(top.call);
      entry = top.call.next;
    }
  }
  return 'ok';
}
