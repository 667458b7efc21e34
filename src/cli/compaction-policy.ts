// When a member's next full GC should compact old space: the pure decision behind
// heap-tuning.ts, kept apart from V8 so it can be tested with plain numbers.
//
// Compacting (evacuating every old-space page and moving the survivors together) is what
// returns the memory of half-empty pages to the OS, but it copies every live object inside
// the GC's atomic pause, so its cost grows with the live heap, not with the garbage: with
// a few hundred thousand keys such a pause stalls every request in flight for over 100 ms.
// Without it V8 evacuates only a few MB of its emptiest pages per GC and reuses the holes
// in the rest through its free lists, which is cheap and fine while those holes are few.
// So compaction is asked for only when a major GC left old space holding much more
// memory than it has live objects, and stays asked for until one has brought the two
// close again (a compacting GC leaves them nearly equal, so one or two usually suffice).

/** Old space right after a major GC: memory V8 holds for it and bytes of objects in it. */
export interface OldSpaceSample {
  committedBytes: number;
  usedBytes: number;
}

export interface CompactionThresholds {
  /** Start compacting when committed exceeds used by this factor... */
  startRatio: number;
  /** ...and by at least this many bytes, so a small heap's page rounding never triggers it. */
  minSlackBytes: number;
  /** Stop once committed is within this factor of used. Below startRatio, so the decision
   * does not flip on every GC while the ratio hovers around one threshold. */
  stopRatio: number;
}

export const DEFAULT_COMPACTION_THRESHOLDS: CompactionThresholds = {
  startRatio: 1.3,
  minSlackBytes: 32 * 2 ** 20,
  stopRatio: 1.1,
};

/** Whether the next full GC should compact, given whether the last one was asked to and what it left. */
export function shouldCompactNextFullGc(
  compacting: boolean,
  sample: OldSpaceSample,
  t: CompactionThresholds = DEFAULT_COMPACTION_THRESHOLDS,
): boolean {
  const { committedBytes: committed, usedBytes: used } = sample;
  const slack = committed - used;
  if (compacting) return slack >= t.minSlackBytes && committed > used * t.stopRatio;
  return slack >= t.minSlackBytes && committed >= used * t.startRatio;
}
