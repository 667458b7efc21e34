// Proposals waiting for their entry to be applied, keyed by request id. Every waiter
// has a deadline so a proposal lost to a leader change cannot hang its caller forever.
//
// Deadlines share one timer rather than one setTimeout each: arming and clearing a Node
// timer per proposal cost ~1.5 us and two allocations a write, for a deadline that almost
// never fires. The timer is armed for the oldest waiter's deadline; waiters are kept in
// registration order (a Map iterates in insertion order), which is deadline order as long
// as every waiter got the same timeout, so an expiry sweep stops at the first waiter not
// yet due. A shorter timeout than an earlier one breaks that order; the registry then
// sweeps every waiter until it is empty again.

import { Errors, type EtcdError } from './errors.js';

/** Upper bound on proposals in flight; past it new proposals are refused, not queued. */
export const MAX_PENDING_PROPOSALS = 100_000;

interface Waiter<T, C> {
  resolve(value: T): void;
  reject(err: Error): void;
  /** performance.now() after which the waiter fails with a timeout. */
  deadline: number;
  /** What the proposer handed along for the applier (see proposal-handoff.ts). */
  context: C | undefined;
}

export class WaitRegistry<T, C = never> {
  private readonly waiters = new Map<bigint, Waiter<T, C>>();
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (performance.now()); meaningful while `timer` is set. */
  private timerAt = 0;
  /** Deadline of the newest waiter: a later waiter with an earlier one breaks the order. */
  private lastDeadline = 0;
  /** Waiters are in deadline order (see the file comment). */
  private ordered = true;

  constructor(private readonly now: () => number = () => performance.now()) {}

  get size(): number {
    return this.waiters.size;
  }

  register(id: bigint, timeoutMs: number, context?: C): Promise<T> {
    if (this.waiters.size >= MAX_PENDING_PROPOSALS) return Promise.reject(Errors.TooManyRequests);
    const deadline = this.now() + timeoutMs;
    if (this.waiters.size === 0) this.ordered = true;
    else if (deadline < this.lastDeadline) this.ordered = false;
    this.lastDeadline = deadline;
    return new Promise<T>((resolve, reject) => {
      this.waiters.set(id, { resolve, reject, deadline, context });
      if (this.timer === undefined || deadline < this.timerAt) this.arm(deadline);
    });
  }

  isRegistered(id: bigint): boolean {
    return this.waiters.has(id);
  }

  /** The context registered with `id`, if it is still waiting. */
  context(id: bigint): C | undefined {
    return this.waiters.get(id)?.context;
  }

  trigger(id: bigint, value: T): void {
    const w = this.waiters.get(id);
    if (!w) return;
    this.waiters.delete(id);
    this.disarmIfIdle();
    w.resolve(value);
  }

  fail(id: bigint, err: Error): void {
    const w = this.waiters.get(id);
    if (!w) return;
    this.waiters.delete(id);
    this.disarmIfIdle();
    w.reject(err);
  }

  failAll(err: EtcdError): void {
    for (const id of [...this.waiters.keys()]) this.fail(id, err);
  }

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    // +1: setTimeout may fire a fraction of a millisecond early by performance.now().
    this.timer = setTimeout(() => this.expire(), Math.max(0, at - this.now()) + 1);
  }

  /** No waiter left, no reason to keep a timer (nor the process) alive. */
  private disarmIfIdle(): void {
    if (this.waiters.size > 0 || this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Fails every waiter past its deadline, then arms the timer for the next one due. */
  private expire(): void {
    this.timer = undefined;
    const now = this.now();
    const due: Waiter<T, C>[] = [];
    let next = Infinity;
    for (const [id, w] of this.waiters) {
      if (w.deadline <= now) {
        this.waiters.delete(id);
        due.push(w);
      } else {
        next = Math.min(next, w.deadline);
        if (this.ordered) break;
      }
    }
    if (next !== Infinity) this.arm(next);
    for (const w of due) w.reject(Errors.Timeout);
  }
}
