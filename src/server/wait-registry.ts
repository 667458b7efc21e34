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
//
// The timer is not cleared when the last waiter leaves: with one client at a time the
// registry empties after every write, and clearing then re-arming a Node timer per write
// cost ~25k instructions (a fresh timer list and priority-queue entry each time, since the
// remaining milliseconds differ). Left armed (unref'd, so it holds no process open), it fires
// at most once per timeout period, finds the newer waiters not yet due and re-arms for the
// oldest of them, or for nothing when the registry is empty. It keeps the process alive
// only while someone waits (ref/unref only flip a counter; no timer list is touched).

import { Errors, type EtcdError } from './errors.js';
import { ChurnMap } from '../pkg/churn-map.js';

/** Upper bound on proposals in flight; past it new proposals are refused, not queued. */
export const MAX_PENDING_PROPOSALS = 100_000;

/**
 * Who hears how a proposal ended. A promise's resolving functions, or an object of the
 * caller's own (registerListener): the put path answers its client from such an object,
 * without a promise, two async functions and a then() between apply and reply.
 */
export interface WaitListener<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

/**
 * What the registry keeps per waiter. A caller may hand in its own object with these
 * fields (registerEntry): the put path's waiter is listener, entry and context at once,
 * one object a put instead of three.
 */
export interface WaitEntry<T, C> {
  readonly listener: WaitListener<T>;
  /** performance.now() after which the waiter fails with a timeout (set by the registry). */
  deadline: number;
  /** What the proposer handed along for the applier (see proposal-handoff.ts). */
  readonly context: C | undefined;
}

type Waiter<T, C> = WaitEntry<T, C>;

export class WaitRegistry<T, C = never> {
  /** A ChurnMap: a put's waiter holds its request and reply (see churn-map.ts). */
  private readonly waiters = new ChurnMap<bigint, Waiter<T, C>>();
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
    return new Promise<T>((resolve, reject) => this.add(id, timeoutMs, { resolve, reject }, context));
  }

  /**
   * register() for a caller that listens itself. The listener is called synchronously
   * from trigger(), fail() or the expiry timer; when the registry is full it is rejected
   * (TooManyRequests) before this returns.
   */
  registerListener(id: bigint, timeoutMs: number, listener: WaitListener<T>, context?: C): void {
    this.registerEntry(id, timeoutMs, { listener, deadline: 0, context });
  }

  /** registerListener() with the caller's own entry object, kept as it is (its deadline is set here). */
  registerEntry(id: bigint, timeoutMs: number, entry: WaitEntry<T, C>): void {
    if (this.waiters.size >= MAX_PENDING_PROPOSALS) entry.listener.reject(Errors.TooManyRequests);
    else this.addEntry(id, timeoutMs, entry);
  }

  private add(id: bigint, timeoutMs: number, listener: WaitListener<T>, context: C | undefined): void {
    this.addEntry(id, timeoutMs, { listener, deadline: 0, context });
  }

  private addEntry(id: bigint, timeoutMs: number, entry: WaitEntry<T, C>): void {
    const deadline = this.now() + timeoutMs;
    if (this.waiters.size === 0) this.ordered = true;
    else if (deadline < this.lastDeadline) this.ordered = false;
    this.lastDeadline = deadline;
    entry.deadline = deadline;
    this.waiters.set(id, entry);
    if (this.timer === undefined || deadline < this.timerAt) this.arm(deadline);
    else if (this.waiters.size === 1) this.timer.ref();
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
    if (this.waiters.size === 0) this.timer?.unref();
    w.listener.resolve(value);
  }

  fail(id: bigint, err: Error): void {
    const w = this.waiters.get(id);
    if (!w) return;
    this.waiters.delete(id);
    if (this.waiters.size === 0) this.timer?.unref();
    w.listener.reject(err);
  }

  failAll(err: EtcdError): void {
    for (const id of [...this.waiters.keys()]) this.fail(id, err);
    this.disarm();
  }

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    // +1: setTimeout may fire a fraction of a millisecond early by performance.now().
    this.timer = setTimeout(() => this.expire(), Math.max(0, at - this.now()) + 1);
    if (this.waiters.size === 0) this.timer.unref();
  }

  private disarm(): void {
    if (this.timer === undefined) return;
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
    for (const w of due) w.listener.reject(Errors.Timeout);
  }
}
