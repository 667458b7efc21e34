// Auto-compaction (--auto-compaction-mode / --auto-compaction-retention), run by the
// leader only, as etcd 3.5's v3compactor runs it: the compactor proposes an ordinary
// Compaction request through the member, and a compaction some other path already did
// (ErrCompacted) counts as done.
//
// periodic: keeps `period` of history. Every retry interval (period/10, at most 6 min)
// it samples the current revision into a window of period/retryInterval samples, so the
// oldest sample is the revision of about `period` ago. Once `period` has passed since
// the last success (then every compact interval: the period, at most 1 h) it compacts
// to that oldest sample, unless it already compacted to it.
// revision: every 5 minutes compacts to (current revision - retention), unless that
// is <= 0 or already done.
//
// Time comes from an injected clock so tests drive it; the real clock is setTimeout.

import { formatGoDuration } from '../pkg/go-strconv.js';
import { Errors, type EtcdError } from './errors.js';

export interface CompactorClock {
  now(): number;
  /** Calls `fn` after `ms`; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

export const realClock: CompactorClock = {
  now: () => Date.now(),
  after: (ms, fn) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

export interface CompactorHost {
  /** The store's current revision. */
  rev(): number;
  /** Proposes a compaction through raft; rejects with the member's errors. */
  compact(rev: number): Promise<void>;
  info(msg: string, fields: Record<string, unknown>): void;
  warn(msg: string, fields: Record<string, unknown>): void;
}

export interface AutoCompactor {
  run(): void;
  stop(): void;
  /** Followers pause; the leader resumes (etcd: only the leader compacts). */
  pause(): void;
  resume(): void;
}

const HOUR_MS = 3600_000;
/** Revision mode checks this often. */
export const REVISION_INTERVAL_MS = 5 * 60_000;
const RETRY_DIVISOR = 10;

function isCompactedError(err: unknown): boolean {
  return err === Errors.Compacted || (err as EtcdError | undefined)?.message === Errors.Compacted.message;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Shared pause/stop and tick scheduling; `step` runs once per interval. */
abstract class TickingCompactor implements AutoCompactor {
  protected paused = false;
  private cancel: (() => void) | undefined;
  private stopped = false;

  constructor(
    protected readonly clock: CompactorClock,
    protected readonly host: CompactorHost,
  ) {}

  protected abstract interval(): number;
  /** Before waiting for the next tick (periodic samples here). */
  protected beforeWait(): void {}
  protected abstract step(): Promise<void>;

  run(): void {
    this.stopped = false;
    this.loop();
  }

  private loop(): void {
    if (this.stopped) return;
    this.beforeWait();
    this.cancel = this.clock.after(this.interval(), () => {
      this.cancel = undefined;
      if (this.stopped) return;
      if (this.paused) return this.loop();
      void this.step().finally(() => this.loop());
    });
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.cancel = undefined;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }
}

export class PeriodicCompactor extends TickingCompactor {
  private readonly revs: number[] = [];
  private lastRevision = 0;
  private lastSuccess: number;
  private baseInterval: number;

  constructor(
    private readonly periodMs: number,
    clock: CompactorClock,
    host: CompactorHost,
  ) {
    super(clock, host);
    this.lastSuccess = clock.now();
    this.baseInterval = periodMs;
  }

  private compactInterval(): number {
    return Math.min(this.periodMs, HOUR_MS);
  }

  protected interval(): number {
    return this.compactInterval() / RETRY_DIVISOR;
  }

  private retentions(): number {
    return Math.floor(this.periodMs / this.interval());
  }

  protected override beforeWait(): void {
    this.revs.push(this.host.rev());
    if (this.revs.length > this.retentions()) this.revs.shift();
  }

  protected async step(): Promise<void> {
    const rev = this.revs[0]!;
    if (this.clock.now() - this.lastSuccess < this.baseInterval || rev === this.lastRevision) return;
    // The first compaction waits a whole period; later ones every compact interval.
    if (this.baseInterval === this.periodMs) this.baseInterval = this.compactInterval();
    const period = formatGoDuration(this.periodMs);
    this.host.info('starting auto periodic compaction', { revision: rev, 'compact-period': period });
    const start = this.clock.now();
    try {
      await this.host.compact(rev);
    } catch (err) {
      if (!isCompactedError(err)) {
        this.host.warn('failed auto periodic compaction', {
          revision: rev,
          'compact-period': period,
          'retry-interval': formatGoDuration(this.interval()),
          error: errorText(err),
        });
        return;
      }
    }
    this.host.info('completed auto periodic compaction', { revision: rev, 'compact-period': period, took: formatGoDuration(this.clock.now() - start) });
    this.lastRevision = rev;
    this.lastSuccess = this.clock.now();
  }
}

export class RevisionCompactor extends TickingCompactor {
  private prev = 0;

  constructor(
    private readonly retention: number,
    clock: CompactorClock,
    host: CompactorHost,
  ) {
    super(clock, host);
  }

  protected interval(): number {
    return REVISION_INTERVAL_MS;
  }

  protected async step(): Promise<void> {
    const rev = this.host.rev() - this.retention;
    if (rev <= 0 || rev === this.prev) return;
    const fields = { revision: rev, 'revision-compaction-retention': this.retention };
    this.host.info('starting auto revision compaction', fields);
    const start = this.clock.now();
    try {
      await this.host.compact(rev);
    } catch (err) {
      if (!isCompactedError(err)) {
        this.host.warn('failed auto revision compaction', { ...fields, 'retry-interval': formatGoDuration(REVISION_INTERVAL_MS), error: errorText(err) });
        return;
      }
    }
    this.prev = rev;
    this.host.info('completed auto revision compaction', { ...fields, took: formatGoDuration(this.clock.now() - start) });
  }
}

/**
 * etcd's reading of --auto-compaction-retention: a plain non-negative integer is hours
 * (periodic) or revisions (revision); anything else must be a Go duration. Returns the
 * retention in milliseconds (periodic) or revisions; 0 disables auto-compaction.
 */
export function parseCompactionRetention(mode: string, retention: string, parseDuration: (s: string) => number): number {
  const text = retention === '' ? '0' : retention;
  if (/^[+-]?\d+$/.test(text) && Number(text) >= 0) {
    const n = Number(text);
    if (mode === 'revision') return n;
    if (mode === 'periodic') return n * HOUR_MS;
    throw new Error('--auto-compaction-mode is undefined');
  }
  try {
    return parseDuration(text);
  } catch (err) {
    throw new Error(`error parsing CompactionRetention: ${errorText(err)}`);
  }
}

/** The compactor for the flags, or undefined when auto-compaction is off (retention 0). */
export function newAutoCompactor(mode: string, retention: number, clock: CompactorClock, host: CompactorHost): AutoCompactor | undefined {
  if (retention === 0) return undefined;
  if (mode === 'revision') return new RevisionCompactor(retention, clock, host);
  if (mode === 'periodic' || mode === '') return new PeriodicCompactor(retention, clock, host);
  throw new Error(`unsupported compaction mode ${mode}`);
}
