// When a quiet member should compact its heap once: the pure decision behind
// heap-tuning.ts's idle check, kept apart from V8 and timers so it can be tested with plain
// numbers.
//
// Under load the member lets V8 skip compaction on most full GCs (compaction-policy.ts):
// a compacting GC copies every live object inside its pause, which would stall every
// request in flight. So after a burst of writes the heap keeps the pages that the burst's
// short-lived objects left half empty, and nothing gives them back while the member sits
// idle (V8's own memory reducer was not seen to run a full GC in 40 s of idleness after a
// bulk load). Once nothing has happened for a while, one compacting GC costs nobody a
// stall and returns that memory, so the heap an operator sees in steady state is the live
// one. It runs once per quiet spell, and only when the heap has grown enough since the
// last one to be worth it.

/** What the idle check sees each time it runs. */
export interface IdleCheck {
  nowMs: number;
  /** A count that moves with any work: requests received plus entries applied. */
  activity: number;
  /** Fraction of the time since the last check the event loop was busy (0..1). */
  loopUtilization: number;
  /** Heap memory V8 holds now (all spaces, committed). */
  heapCommittedBytes: number;
  /** Bytes of objects in the heap now (what a compaction would copy, at most). */
  heapUsedBytes: number;
}

export interface IdleCompactionThresholds {
  /** Quiet this long (no activity, loop nearly idle) before compacting. */
  quietForMs: number;
  /** A loop busier than this is not quiet, whatever the activity count says (peers, timers). */
  maxQuietUtilization: number;
  /** Compact only when the heap holds this much more than right after the last compaction. */
  minGrowthBytes: number;
  /**
   * Never compact a heap holding more than this. The GC copies the live objects inside its
   * pause, at roughly 1-1.5 MB per ms on the machines measured (V8's compaction_speed in
   * --trace-gc-nvp), and even an idle leader must keep sending heartbeats: past about
   * 256 MiB the pause would come near a follower's election timeout (1 s by default).
   */
  maxHeapUsedBytes: number;
}

export const DEFAULT_IDLE_COMPACTION_THRESHOLDS: IdleCompactionThresholds = {
  quietForMs: 10_000,
  maxQuietUtilization: 0.02,
  minGrowthBytes: 32 * 2 ** 20,
  maxHeapUsedBytes: 256 * 2 ** 20,
};

export interface IdleCompactionState {
  lastActivity: number;
  /** When the current quiet spell began (the last check that saw activity). */
  quietSinceMs: number;
  /** Whether this quiet spell already had its compaction (or had nothing worth compacting). */
  doneThisSpell: boolean;
  /** Heap committed right after the last compaction (the start's, before any). */
  baselineBytes: number;
}

export function initialIdleState(check: IdleCheck): IdleCompactionState {
  return { lastActivity: check.activity, quietSinceMs: check.nowMs, doneThisSpell: false, baselineBytes: check.heapCommittedBytes };
}

/** The next state, and whether to run one compacting full GC now. */
export function idleCompactionStep(
  state: IdleCompactionState,
  check: IdleCheck,
  t: IdleCompactionThresholds = DEFAULT_IDLE_COMPACTION_THRESHOLDS,
): { state: IdleCompactionState; compact: boolean } {
  const busy = check.activity !== state.lastActivity || check.loopUtilization > t.maxQuietUtilization;
  if (busy) return { state: { ...state, lastActivity: check.activity, quietSinceMs: check.nowMs, doneThisSpell: false }, compact: false };
  if (state.doneThisSpell || check.nowMs - state.quietSinceMs < t.quietForMs) return { state, compact: false };
  const compact = check.heapCommittedBytes - state.baselineBytes >= t.minGrowthBytes && check.heapUsedBytes <= t.maxHeapUsedBytes;
  return { state: { ...state, doneThisSpell: true }, compact };
}

/** The state after the compaction ran: later growth is measured from what it left. */
export function afterIdleCompaction(state: IdleCompactionState, heapCommittedBytes: number): IdleCompactionState {
  return { ...state, baselineBytes: heapCommittedBytes };
}
