// Proposals waiting for their entry to be applied, keyed by request id. Every waiter
// has a deadline so a proposal lost to a leader change cannot hang its caller forever.

import { Errors, type EtcdError } from './errors.js';

/** Upper bound on proposals in flight; past it new proposals are refused, not queued. */
export const MAX_PENDING_PROPOSALS = 100_000;

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class WaitRegistry<T> {
  private readonly waiters = new Map<bigint, Waiter<T>>();

  get size(): number {
    return this.waiters.size;
  }

  register(id: bigint, timeoutMs: number): Promise<T> {
    if (this.waiters.size >= MAX_PENDING_PROPOSALS) return Promise.reject(Errors.TooManyRequests);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(Errors.Timeout);
      }, timeoutMs);
      this.waiters.set(id, { resolve, reject, timer });
    });
  }

  isRegistered(id: bigint): boolean {
    return this.waiters.has(id);
  }

  trigger(id: bigint, value: T): void {
    const w = this.waiters.get(id);
    if (!w) return;
    this.waiters.delete(id);
    clearTimeout(w.timer);
    w.resolve(value);
  }

  fail(id: bigint, err: Error): void {
    const w = this.waiters.get(id);
    if (!w) return;
    this.waiters.delete(id);
    clearTimeout(w.timer);
    w.reject(err);
  }

  failAll(err: EtcdError): void {
    for (const id of [...this.waiters.keys()]) this.fail(id, err);
  }
}
