// Small helpers for writing histories by hand and generating them at random (seeded).

import type { KvInput, KvOutput, Operation } from '../../src/linearizability/index.js';
import { applyKv, type KvState } from '../../src/linearizability/index.js';

export const INF = Number.POSITIVE_INFINITY;

export const put = (key: string, value: string): KvInput => ({ kind: 'put', key, value });
export const get = (key: string): KvInput => ({ kind: 'get', key });
export const del = (key: string): KvInput => ({ kind: 'delete', key });
export const cas = (key: string, expected: string | null, value: string): KvInput => ({ kind: 'cas', key, expected, value });

export const ok: KvOutput = { kind: 'put' };
export const got = (value: string | null): KvOutput => ({ kind: 'get', value });
export const deleted = (n?: number): KvOutput => (n === undefined ? { kind: 'delete' } : { kind: 'delete', deleted: n });
export const casOut = (succeeded: boolean): KvOutput => ({ kind: 'cas', succeeded });

/** A completed operation. */
export function op(client: number, input: KvInput, callMs: number, returnMs: number, output: KvOutput): Operation {
  return { client, input, callMs, returnMs, output };
}

/** An operation that never answered. */
export function pending(client: number, input: KvInput, callMs: number): Operation {
  return { client, input, callMs, returnMs: INF };
}

/** The seeded PRNG the raft simulation uses, so failures reproduce from the seed. */
export { seeded as rng } from '../helpers/seeded-random.js';

export interface GenOptions {
  ops: number;
  keys: number;
  /** Half-width of an operation's interval around its linearization point, in ms. */
  spreadMs: number;
  /** Probability that an operation never answers. */
  pendingRate: number;
}

/**
 * A linearizable history by construction: a sequential execution whose operations take
 * effect at increasing points in time, each given a random interval around its point.
 * A pending operation is, with equal odds, one that took effect or one that did not.
 */
export function generateHistory(rand: () => number, o: GenOptions): Operation[] {
  const states = new Map<string, KvState>();
  const values: string[] = [];
  const history: Operation[] = [];
  let t = 0;
  for (let i = 0; i < o.ops; i++) {
    t += rand();
    const key = `k${Math.floor(rand() * o.keys)}`;
    const state = states.get(key) ?? null;
    const r = rand();
    const value = `v${i}`;
    const anyValue = (): string | null => (values.length === 0 || rand() < 0.2 ? null : values[Math.floor(rand() * values.length)]!);
    let input: KvInput;
    if (r < 0.3) input = put(key, value);
    else if (r < 0.65) input = get(key);
    else if (r < 0.75) input = del(key);
    else input = cas(key, rand() < 0.6 ? state : anyValue(), value);
    const { next, output } = applyKv(state, input);
    const callMs = t - rand() * o.spreadMs;
    const client = Math.floor(rand() * 5);
    if (rand() < o.pendingRate) {
      history.push(pending(client, input, callMs));
      if (rand() < 0.5) continue; // never took effect
    } else {
      history.push(op(client, input, callMs, t + rand() * o.spreadMs, output));
    }
    states.set(key, next);
    if (input.kind === 'put' || input.kind === 'cas') values.push(input.value);
  }
  return history;
}
