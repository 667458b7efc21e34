// How soon V8 hands a member's hot functions to its optimising compiler (TurboFan).
//
// V8 optimises a function once it has run about `--interrupt-budget` bytes of its bytecode
// (default 66 KiB). A member's code is reached through many small functions that each run
// once or twice per request: the raft step, the peer message codec, the WAL write, the
// apply and node's own stream plumbing. Under a light load (one client writing to a
// cluster, one put at a time) they stay in the interpreter and baseline code for thousands
// of requests, and then TurboFan compiles them, on V8's worker threads, while the requests
// keep coming. Measured, three members on two cores, 1-client puts right after a 3,000-put
// 50-client warm-up: 2,400-4,000 us of server CPU per put over the first 1,000 puts and
// 1,450-1,650 us only after 4,000-6,000, with the workers busy compiling (150-350 us per put)
// the whole while. A quarter of the default budget halves that ramp (the first 1,000 puts
// at 2,400-2,700 us, ~1,400 from the third 1,000 on) and the functions it optimises early
// are the ones every request runs anyway.
//
// A budget the user gave node (NODE_OPTIONS or the command line) wins: then nothing is set.

import v8 from 'node:v8';

const BUDGET_FLAG = 'interrupt-budget';
/** A quarter of V8's default (67584 bytes in Node 20). */
export const MEMBER_INTERRUPT_BUDGET = 16896;

/** Whether node was given `--interrupt-budget` itself (either spelling), not one of its longer-named relatives. */
export function interruptBudgetGiven(execArgv: readonly string[], nodeOptions: string): boolean {
  const given = /(?:^|\s)--interrupt[-_]budget(?:=|\s|$)/;
  return execArgv.some((a) => given.test(a)) || given.test(nodeOptions);
}

/** Lowers V8's interrupt budget for this process unless the user set one; call before serving. */
export function tierUpSooner(): void {
  if (interruptBudgetGiven(process.execArgv, process.env['NODE_OPTIONS'] ?? '')) return;
  v8.setFlagsFromString(`--${BUDGET_FLAG}=${MEMBER_INTERRUPT_BUDGET}`);
}
