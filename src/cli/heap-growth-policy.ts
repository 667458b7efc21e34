// How far old space may grow past its live bytes before the next full GC: the pure
// decision behind heap-tuning.ts's growth bound, kept apart from V8 so it can be tested.
//
// V8 picks the factor itself from how fast its GC runs against how fast the program
// promotes objects; under a steady put load it settles near its maximum of 4 (measured
// 3.4-3.7), so a member's resident memory swings between its live heap and about four
// times it. Bounding the factor at 2 halves that swing but runs more full GCs, and with
// them more concurrent marking: with 100,000 keys (well under 64 MiB live) it looked like
// 10-20% more CPU per put (a noisy measurement) for a swing of a few tens of MiB. So the
// bound applies only once the live heap is large, where the swing is hundreds of MiB;
// below that V8 decides. Measured during a bulk load of 256 B values, old space held
// ~55 MiB live at 400,000 keys and ~110 MiB at 900,000.

/** Live old-space bytes from which the bound applies (a member holding ~450,000 small keys). */
export const BOUND_GROWTH_FROM_LIVE_BYTES = 64 * 2 ** 20;
/** The bound: old space may grow to twice its live bytes. */
export const BOUNDED_GROWING_PERCENT = 100;

/** --heap-growing-percent for the GCs after one that left `liveBytes` in old space (0: V8's own factor). */
export function heapGrowingPercent(liveBytes: number, fromLiveBytes = BOUND_GROWTH_FROM_LIVE_BYTES): number {
  return liveBytes >= fromLiveBytes ? BOUNDED_GROWING_PERCENT : 0;
}
