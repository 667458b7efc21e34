// A history of concurrent client operations, and a recorder that builds one while clients
// run. Times are milliseconds on one monotonic clock (performance.now()); an operation
// that never answered (timeout, connection lost, member killed) has `returnMs: Infinity`
// and no output: it may or may not have taken effect, at any moment after its call.

import { performance } from 'node:perf_hooks';
import type { KvInput, KvOutput } from './kv-model.js';

export interface Operation {
  /** Which client issued it; informational (linearizability does not need it). */
  client: number;
  input: KvInput;
  /** When the request was sent. */
  callMs: number;
  /** When the answer arrived; Infinity when it never did. */
  returnMs: number;
  /** The answer; undefined when unknown. */
  output?: KvOutput;
}

export type History = Operation[];

/** Records operations as clients issue them; `finish` must be called exactly once per `begin`. */
export class HistoryRecorder {
  private readonly ops: Operation[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Marks the call; returns a handle to finish with the answer or as unknown. */
  begin(client: number, input: KvInput): { ok: (output: KvOutput) => void; unknown: () => void } {
    const op: Operation = { client, input, callMs: this.now(), returnMs: Number.POSITIVE_INFINITY };
    this.ops.push(op);
    let done = false;
    const once = (): void => {
      if (done) throw new Error('operation finished twice');
      done = true;
    };
    return {
      ok: (output) => {
        once();
        op.returnMs = this.now();
        op.output = output;
      },
      // The return time stays Infinity: the effect may land any time later.
      unknown: () => once(),
    };
  }

  history(): History {
    return this.ops.slice();
  }
}
