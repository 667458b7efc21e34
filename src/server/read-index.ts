// Linearizable reads through raft's ReadIndex, batched: every read that arrives while no
// ReadIndex round is outstanding joins the next round, so one quorum confirmation
// serves many reads. A read proceeds once the member has applied up to the index the
// leader confirmed.

import { Errors } from './errors.js';

/** A round whose answer is lost (leader change, dropped message) is asked again after this. */
export const READ_INDEX_RETRY_MS = 500;

interface Pending {
  resolve(): void;
  reject(err: Error): void;
}

export interface ReadIndexHost {
  /** Asks raft for a read index with this context (an 8-byte id). */
  requestReadIndex(ctx: Uint8Array): void;
  appliedIndex(): number;
  newId(): bigint;
}

function idBytes(id: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, id);
  return b;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class ReadIndexBatcher {
  private queued: Pending[] = [];
  private inFlight: { ctx: Uint8Array; waiters: Pending[]; retry: NodeJS.Timeout } | undefined;
  /** Reads confirmed at an index the member has not applied yet, in index order. */
  private waitingApply: { index: number; waiters: Pending[] }[] = [];

  constructor(private readonly host: ReadIndexHost) {}

  /** Whether any linearizable read is waiting (queued, being confirmed, or for apply). */
  get busy(): boolean {
    return this.queued.length > 0 || this.inFlight !== undefined || this.waitingApply.length > 0;
  }

  /** Resolves when a linearizable read may be served from local state. */
  wait(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        entry.done = true;
        reject(Errors.Timeout);
      }, timeoutMs);
      const entry = {
        done: false,
        resolve: () => {
          if (entry.done) return;
          entry.done = true;
          clearTimeout(timer);
          resolve();
        },
        reject: (err: Error) => {
          if (entry.done) return;
          entry.done = true;
          clearTimeout(timer);
          reject(err);
        },
      };
      this.queued.push(entry);
      this.startRound();
    });
  }

  private startRound(): void {
    if (this.inFlight || this.queued.length === 0) return;
    const ctx = idBytes(this.host.newId());
    const retry = setInterval(() => this.host.requestReadIndex(ctx), READ_INDEX_RETRY_MS);
    this.inFlight = { ctx, waiters: this.queued, retry };
    this.queued = [];
    this.host.requestReadIndex(ctx);
  }

  /** Raft confirmed `index` as the read point for the round with `ctx`. */
  onReadState(index: number, ctx: Uint8Array): void {
    const round = this.inFlight;
    if (!round || !sameBytes(round.ctx, ctx)) return;
    clearInterval(round.retry);
    this.inFlight = undefined;
    if (this.host.appliedIndex() >= index) {
      for (const w of round.waiters) w.resolve();
    } else {
      this.waitingApply.push({ index, waiters: round.waiters });
      this.waitingApply.sort((a, b) => a.index - b.index);
    }
    this.startRound();
  }

  /** Call after entries are applied. */
  onApplied(applied: number): void {
    while (this.waitingApply.length > 0 && this.waitingApply[0]!.index <= applied) {
      for (const w of this.waitingApply.shift()!.waiters) w.resolve();
    }
  }

  failAll(err: Error): void {
    if (this.inFlight) {
      clearInterval(this.inFlight.retry);
      for (const w of this.inFlight.waiters) w.reject(err);
      this.inFlight = undefined;
    }
    for (const w of this.queued) w.reject(err);
    this.queued = [];
    for (const g of this.waitingApply) for (const w of g.waiters) w.reject(err);
    this.waitingApply = [];
  }
}
