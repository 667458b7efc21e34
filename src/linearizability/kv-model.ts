// The sequential specification the checker holds histories to: one register per key of
// an etcd-like KV store. Each key is checked on its own (P-compositionality: a history is
// linearizable iff each per-key sub-history is, because every operation touches one key),
// so the model's state is just that key's value, or null when the key is absent.

/** What a client asked for. `expected: null` in a CAS means "only if the key is absent". */
export type KvInput =
  | { kind: 'put'; key: string; value: string }
  | { kind: 'get'; key: string }
  | { kind: 'delete'; key: string }
  | { kind: 'cas'; key: string; expected: string | null; value: string };

/** What the store answered. `deleted` is optional: a recorder may not know it. */
export type KvOutput =
  | { kind: 'put' }
  | { kind: 'get'; value: string | null }
  | { kind: 'delete'; deleted?: number }
  | { kind: 'cas'; succeeded: boolean };

/** One register's value; null means the key does not exist. */
export type KvState = string | null;

export const INITIAL_STATE: KvState = null;

/**
 * Applies `input` to `state`: the state afterwards and the output a correct store gives.
 * The model is deterministic, so an operation whose output is unknown (it timed out)
 * simply accepts whatever output this computes.
 */
export function applyKv(state: KvState, input: KvInput): { next: KvState; output: KvOutput } {
  switch (input.kind) {
    case 'put':
      return { next: input.value, output: { kind: 'put' } };
    case 'get':
      return { next: state, output: { kind: 'get', value: state } };
    case 'delete':
      return { next: null, output: { kind: 'delete', deleted: state === null ? 0 : 1 } };
    case 'cas': {
      const succeeded = state === input.expected;
      return { next: succeeded ? input.value : state, output: { kind: 'cas', succeeded } };
    }
  }
}

/** Whether `observed` is an answer the model allows, given the model's `expected` answer. */
export function outputMatches(expected: KvOutput, observed: KvOutput): boolean {
  if (expected.kind !== observed.kind) return false;
  switch (observed.kind) {
    case 'put':
      return true;
    case 'get':
      return (expected as { value: string | null }).value === observed.value;
    case 'delete':
      return observed.deleted === undefined || (expected as { deleted?: number }).deleted === observed.deleted;
    case 'cas':
      return (expected as { succeeded: boolean }).succeeded === observed.succeeded;
  }
}

/** Whether the operation can change the state (reads that never answered can be dropped). */
export function isWrite(input: KvInput): boolean {
  return input.kind !== 'get';
}

/** A state as a short string for cache keys and messages. */
export function describeState(state: KvState): string {
  return state === null ? '<absent>' : JSON.stringify(state);
}

export function describeInput(input: KvInput): string {
  switch (input.kind) {
    case 'put':
      return `put(${input.key}, ${JSON.stringify(input.value)})`;
    case 'get':
      return `get(${input.key})`;
    case 'delete':
      return `delete(${input.key})`;
    case 'cas':
      return `cas(${input.key}, ${describeState(input.expected)} -> ${JSON.stringify(input.value)})`;
  }
}

export function describeOutput(output: KvOutput | undefined): string {
  if (output === undefined) return '?';
  switch (output.kind) {
    case 'put':
      return 'ok';
    case 'get':
      return describeState(output.value);
    case 'delete':
      return output.deleted === undefined ? 'ok' : `deleted ${output.deleted}`;
    case 'cas':
      return output.succeeded ? 'succeeded' : 'failed';
  }
}
