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
// - recent fdatasyncs were fast: a moving estimate of their duration (how each kind feeds
//   it is below) is under a few ms. A single slow fdatasync (10-100 ms on a busy disk)
//   moves the estimate past the bound at once, so at most one such stall happens before
//   the pool takes over.
//
// A thread-pool fdatasync is timed from the loop, so its duration includes the hand-off:
// waking a pool thread and then the loop again. On a machine whose CPUs are busy those two
// wake-ups alone take milliseconds, so pool durations would keep the estimate above the
// bound for good, even with a fast disk (measured: 3-member cluster on 2 loaded cores, pool
// fdatasyncs of 6 ms at the median, on-loop ones 1.5-2 ms). So a pool duration only
// ever lowers the estimate (it bounds the disk's time from above), and while the estimate
// is over the bound every PROBE_EVERY-th lone batch runs on the loop once to measure the
// disk itself; that measurement replaces the estimate. A disk that really is slow costs one
// stall of that length per PROBE_EVERY lone batches, when nothing else was waiting.

/** Fdatasyncs slower than this on average go to the thread pool. */
export const DEFAULT_MAX_ON_LOOP_MS = 3;
/** Weight of the newest duration in the moving estimate. */
export const DEFAULT_ESTIMATE_WEIGHT = 0.25;
/** While the estimate is over the bound, one lone batch in this many re-measures the disk on the loop. */
export const DEFAULT_PROBE_EVERY = 8;

export interface FsyncPlacementOptions {
  maxOnLoopMs?: number;
  estimateWeight?: number;
  probeEvery?: number;
}

export class FsyncPlacement {
  private readonly maxOnLoopMs: number;
  private readonly weight: number;
  private readonly probeEvery: number;
  /** Moving estimate of an fdatasync's duration, ms (0 until the first one). */
  private estimate = 0;
  private lastBatchEntries = 0;
  /** Lone batches sent to the pool because of the estimate since the last probe. */
  private sinceProbe = 0;
  /** The last placement was a probe: its duration replaces the estimate. */
  private probing = false;

  constructor(opts: FsyncPlacementOptions = {}) {
    this.maxOnLoopMs = opts.maxOnLoopMs ?? DEFAULT_MAX_ON_LOOP_MS;
    this.weight = opts.estimateWeight ?? DEFAULT_ESTIMATE_WEIGHT;
    this.probeEvery = opts.probeEvery ?? DEFAULT_PROBE_EVERY;
  }

  /**
   * Whether the fdatasync of a batch of `entries` entries runs on the loop. `othersWaiting`:
   * work besides this batch is pending (then the loop must stay free).
   */
  onLoop(entries: number, othersWaiting: boolean): boolean {
    const lone = entries <= 1 && this.lastBatchEntries <= 1;
    this.lastBatchEntries = entries;
    this.probing = false;
    if (!lone || othersWaiting) return false;
    if (this.estimate <= this.maxOnLoopMs) return true;
    if (++this.sinceProbe < this.probeEvery) return false;
    this.sinceProbe = 0;
    this.probing = true;
    return true;
  }

  /** Records how long an fdatasync took, in ms; `onLoop`: where it ran (as onLoop answered). */
  record(ms: number, onLoop: boolean): void {
    if (this.estimate === 0 || (onLoop && this.probing)) {
      this.estimate = ms;
    } else if (onLoop || ms < this.estimate) {
      this.estimate += (ms - this.estimate) * this.weight;
    }
    this.probing = false;
  }

  /** The current moving estimate, ms (for tests and debugging). */
  get estimateMs(): number {
    return this.estimate;
  }
}
