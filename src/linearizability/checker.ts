// Checks a whole KV history for linearizability, key by key, and explains a failure by
// the shortest prefix of the failing key's history that already cannot be linearized.

import type { History, Operation } from './history.js';
import { describeInput, describeOutput, isWrite } from './kv-model.js';
import { MAX_SEARCH_STEPS, searchKey, type SearchOutcome } from './search.js';

/** Operations of a failing prefix shown in the explanation (the latest ones). */
const EXPLANATION_OPS_MAX = 12;

export interface Failure {
  key: string;
  /** The completed operation that ends the shortest non-linearizable prefix. */
  op: Operation;
  /** That prefix: the key's operations called no later than `op` returned, by call time. */
  prefix: Operation[];
  /** A human-readable account: the key, the operation, the latest operations before it. */
  text: string;
}

export interface CheckResult {
  /** 'unknown' when some key's search ran out of steps (and no key failed). */
  outcome: SearchOutcome;
  keys: number;
  operations: number;
  failure?: Failure;
  /** Keys whose search gave up. */
  undecidedKeys: string[];
}

/**
 * Normalizes: an operation without a known output may have taken effect at any moment after
 * its call, so its return becomes Infinity; such a read constrains nothing and is dropped.
 */
function normalize(history: History): Operation[] {
  const out: Operation[] = [];
  for (const o of history) {
    if (o.output === undefined) {
      if (!isWrite(o.input)) continue;
      out.push({ ...o, returnMs: Number.POSITIVE_INFINITY });
    } else {
      if (!(o.returnMs >= o.callMs)) throw new Error(`operation returns before its call: ${describeInput(o.input)}`);
      out.push(o);
    }
  }
  return out;
}

export function partitionByKey(ops: readonly Operation[]): Map<string, Operation[]> {
  const byKey = new Map<string, Operation[]>();
  for (const o of ops) {
    const list = byKey.get(o.input.key);
    if (list === undefined) byKey.set(o.input.key, [o]);
    else list.push(o);
  }
  return byKey;
}

export function checkHistory(history: History, maxStepsPerKey = MAX_SEARCH_STEPS): CheckResult {
  const ops = normalize(history);
  const byKey = partitionByKey(ops);
  const undecidedKeys: string[] = [];
  for (const [key, keyOps] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const outcome = searchKey(keyOps, maxStepsPerKey);
    if (outcome === 'unknown') undecidedKeys.push(key);
    if (outcome === 'illegal') {
      return { outcome, keys: byKey.size, operations: ops.length, failure: explain(key, keyOps, maxStepsPerKey), undecidedKeys };
    }
  }
  return { outcome: undecidedKeys.length > 0 ? 'unknown' : 'ok', keys: byKey.size, operations: ops.length, undecidedKeys };
}

/**
 * The key's operations as they stood when the `k`-th completed operation (by return time)
 * returned: operations called later are left out, those that returned later become pending.
 */
function prefixAt(completed: readonly Operation[], all: readonly Operation[], k: number): Operation[] {
  const t = completed[k]!.returnMs;
  const out: Operation[] = [];
  for (const o of all) {
    if (o.callMs > t) continue;
    if (o.returnMs <= t) out.push(o);
    else if (isWrite(o.input)) out.push({ client: o.client, input: o.input, callMs: o.callMs, returnMs: Number.POSITIVE_INFINITY });
  }
  return out;
}

/** Binary search for the shortest failing prefix (failure is monotone in the prefix). */
function explain(key: string, ops: readonly Operation[], maxSteps: number): Failure {
  const completed = ops.filter((o) => o.returnMs !== Number.POSITIVE_INFINITY).sort((a, b) => a.returnMs - b.returnMs);
  let lo = 0;
  let hi = completed.length - 1; // the whole history fails, so prefixAt(hi) does
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (searchKey(prefixAt(completed, ops, mid), maxSteps) === 'illegal') hi = mid;
    else lo = mid + 1;
  }
  const op = completed[lo]!;
  const prefix = prefixAt(completed, ops, lo).sort((a, b) => a.callMs - b.callMs);
  const shown = prefix.slice(-EXPLANATION_OPS_MAX);
  const t0 = prefix[0]?.callMs ?? 0;
  // For a read, who could have produced the value it saw (often long before the window shown).
  const observed = op.output?.kind === 'get' ? op.output.value : undefined;
  const writers = observed === undefined || observed === null ? [] : ops.filter((o) => (o.input.kind === 'put' || o.input.kind === 'cas') && o.input.value === observed);
  const lines = [
    `key ${JSON.stringify(key)}: not linearizable; the first ${prefix.length} operations already are not,`,
    `ending when client ${op.client}'s ${describeInput(op.input)} -> ${describeOutput(op.output)} returned`,
    `(times in ms from the key's first call; latest ${shown.length} operations):`,
    ...shown.map((o) => `  ${line(o, t0)}${o === op ? '   <== cannot be placed' : ''}`),
    ...(observed === undefined ? [] : writers.length === 0
      ? [`the value read, ${describeOutput(op.output)}, was written by no operation on this key`]
      : [`the value read was written by:`, ...writers.map((o) => `  ${line(o, t0)}`)]),
  ];
  return { key, op, prefix, text: lines.join('\n') };
}

function line(o: Operation, t0: number): string {
  return `client ${o.client} [${fmt(o.callMs - t0)}, ${fmt(o.returnMs - t0)}] ${describeInput(o.input)} -> ${describeOutput(o.output)}`;
}

function fmt(ms: number): string {
  return Number.isFinite(ms) ? ms.toFixed(1) : 'never';
}
