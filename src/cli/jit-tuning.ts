// How soon V8 hands a member's hot functions to its optimising compiler (TurboFan).
//
// V8 optimises a function once it has run about `--interrupt-budget` bytes of its bytecode
// a number of times (the default budget is 66 KiB). A member's work is spread over many
// small functions that each run once or twice per request: the raft step, the peer message
// codec, the WAL write, the apply and node's own stream plumbing. Under a light load (one
// client writing to a cluster, one put at a time) they stay in the interpreter and baseline
// code for thousands of requests, and TurboFan compiles them on V8's worker threads while
// the requests keep coming. Measured, three members on two cores, 1-client puts after a
// 3,000-put 50-client warm-up: 2,250-4,000 us of server CPU per put over the first 1,000
// to 3,000 puts, 1,450-1,650 us only after 4,000-6,000 (when etcd 3.4 takes 1,500-1,800),
// with the workers busy compiling (150-350 us per put) the whole while. With a quarter of
// the budget the same functions are optimised after about a third as many calls: in
// alternating runs (load 5-15) the first 2,000 1-client puts after a 500-put warm-up took
// 1,895 us per put at the median instead of 2,255, the 50-client put 290 instead of 330,
// and warm members were not slower (1,260-1,390 against 1,450-1,650 us per put from the
// fifth 1,000 lone puts on).
//
// A budget the user gave node (NODE_OPTIONS or the command line) wins: then nothing is set.

import v8 from 'node:v8';
import { nodeFlagGiven } from './node-flag-given.js';

const BUDGET_FLAG = 'interrupt-budget';
/** A quarter of V8's default (67584 bytes in Node 20). */
export const MEMBER_INTERRUPT_BUDGET = 16896;

/** Whether node was given `--interrupt-budget` itself (either spelling), not one of its longer-named relatives. */
export function interruptBudgetGiven(execArgv: readonly string[], nodeOptions: string): boolean {
  return nodeFlagGiven(BUDGET_FLAG, execArgv, nodeOptions);
}

/** Lowers V8's interrupt budget for this process unless the user set one; call before serving. */
export function tierUpSooner(): void {
  if (interruptBudgetGiven(process.execArgv, process.env['NODE_OPTIONS'] ?? '')) return;
  v8.setFlagsFromString(`--${BUDGET_FLAG}=${MEMBER_INTERRUPT_BUDGET}`);
}
