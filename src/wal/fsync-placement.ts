// Decides, per WAL batch, whether its fdatasync runs on the event loop's own thread or in
// libuv's thread pool.
//
// One writer at a time (1 client) gains nothing from the thread pool: nothing else is
// waiting on the loop, and the hand-off costs two thread wake-ups, each of which waits
// for a CPU on a loaded machine (measured, 1 client 256 B puts: mean WAL fsync 1.2-1.8 ms
// through the pool vs 0.6-1.1 ms on the loop). But while a synchronous fdatasync runs the
// member does nothing else: no request is read, no watch event sent, and in a cluster no
// heartbeat goes out. So it runs on the loop only while all of these hold:
// - the batch has at most one entry and so had the previous one (no concurrent writers:
//   they coalesce into batches of many entries);
// - nothing else the member can see is waiting (another proposal or read in flight);
// - recent fdatasyncs were fast: a moving estimate of their duration (both kinds feed it,
//   so a disk that becomes fast again brings the loop path back) is under a few ms. A
//   single slow fdatasync (10-100 ms on a busy disk) moves the estimate past the bound at
//   once, so at most one such stall happens before the pool takes over.

/** Fdatasyncs slower than this on average go to the thread pool. */
export const DEFAULT_MAX_ON_LOOP_MS = 3;
/** Weight of the newest duration in the moving estimate. */
export const DEFAULT_ESTIMATE_WEIGHT = 0.25;

export interface FsyncPlacementOptions {
  maxOnLoopMs?: number;
  estimateWeight?: number;
}

export class FsyncPlacement {
  private readonly maxOnLoopMs: number;
  private readonly weight: number;
  /** Moving estimate of an fdatasync's duration, ms (0 until the first one). */
  private estimate = 0;
  private lastBatchEntries = 0;

  constructor(opts: FsyncPlacementOptions = {}) {
    this.maxOnLoopMs = opts.maxOnLoopMs ?? DEFAULT_MAX_ON_LOOP_MS;
    this.weight = opts.estimateWeight ?? DEFAULT_ESTIMATE_WEIGHT;
  }

  /**
   * Whether the fdatasync of a batch of `entries` entries runs on the loop. `othersWaiting`:
   * work besides this batch is pending (then the loop must stay free).
   */
  onLoop(entries: number, othersWaiting: boolean): boolean {
    const lone = entries <= 1 && this.lastBatchEntries <= 1;
    this.lastBatchEntries = entries;
    return lone && !othersWaiting && this.estimate <= this.maxOnLoopMs;
  }

  /** Records how long an fdatasync took (either placement), in ms. */
  record(ms: number): void {
    this.estimate = this.estimate === 0 ? ms : this.estimate + (ms - this.estimate) * this.weight;
  }

  /** The current moving estimate, ms (for tests and debugging). */
  get estimateMs(): number {
    return this.estimate;
  }
}
