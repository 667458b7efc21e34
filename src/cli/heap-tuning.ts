// V8 heap settings for a long-running member, applied at the start of `etcd`.
//
// A member's heap is mostly long-lived state (the key index, leases, the in-memory raft
// log) interleaved with objects that live just long enough to be promoted (requests in
// flight, raft log entries until the next snapshot compacts them). After a major GC the
// dead ones leave holes on pages that still hold a few live objects, and V8's default
// heuristics evacuate only a few MB of those pages per GC: measured after loading 200,000
// keys, old space kept 129 MiB committed for 49 MiB of live objects. Compacting on a full
// GC moves the survivors together and returns the emptied pages, but it copies every live
// object inside the GC's pause, which then grows with the heap (60-90 ms at 100,000 keys,
// 120-150 ms at 300,000) and stalls every request in flight. So compaction is switched on
// only for the full GCs that follow one which left old space fragmented
// (compaction-policy.ts decides), and V8's own cheaper heuristics run the others.
//
// Between full GCs old space fills with objects that were promoted and then died (a put
// promotes ~3 KB: HTTP/2 stream objects alive across two scavenges, raft log entries until
// the next raft snapshot, write-buffer entries until their batch commits), and V8 lets it
// grow to several times the live bytes before the next full GC. Once the live heap is
// large that growth is bounded (heap-growth-policy.ts decides), which bounds how far
// resident memory swings above the live heap during a long write load.
//
// When the member goes quiet after a burst, it runs one compacting full GC (once the
// heap has grown since the last one, and never while requests or applies keep coming:
// idle-compaction-policy.ts decides), so in steady state the heap it holds is the live
// one rather than whatever the burst's last GC cycle left. Measured after loading 300,000
// keys: resident memory 273 MiB at the end of the load, 211 MiB 10-15 s later.
//
// V8 reads these flags at each collection (the candidates for evacuation are chosen when
// a full GC starts marking, the next limit when one ends), so a flag set at run time
// applies from the next GC on, and one set from a GC observer applies to the next full GC.
// A flag the user gave node (NODE_OPTIONS or the command line) wins: then nothing sets it.

import v8 from 'node:v8';
import vm from 'node:vm';
import { PerformanceObserver, constants, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { gcKind } from '../pkg/gc-kind.js';
import { nodeFlagGiven } from './node-flag-given.js';
import { shouldCompactNextFullGc, type CompactionThresholds, DEFAULT_COMPACTION_THRESHOLDS, type OldSpaceSample } from './compaction-policy.js';
import { heapGrowingPercent } from './heap-growth-policy.js';
import { afterIdleCompaction, idleCompactionStep, initialIdleState, type IdleCheck } from './idle-compaction-policy.js';

const COMPACT_FLAG = '--compact-on-every-full-gc';
const GROWING_FLAG = '--heap-growing-percent';
const FLAGS = [COMPACT_FLAG, GROWING_FLAG];

/** The flags to manage: those of FLAGS that node was not already given (any spelling, either sense, any value). */
export function heapFlagsToSet(execArgv: readonly string[], nodeOptions: string): string[] {
  return FLAGS.filter((f) => !nodeFlagGiven(f.slice(2), execArgv, nodeOptions));
}

/**
 * Calls `onMajorGc` with old space as it is shortly after each major GC (the observer runs on
 * the event loop then, when used bytes are still close to what the GC found live). Returns
 * a function that stops watching.
 */
function afterEachMajorGc(onMajorGc: (oldSpace: OldSpaceSample) => void): () => void {
  const observer = new PerformanceObserver((list) => {
    if (!list.getEntries().some((e) => gcKind(e) === constants.NODE_PERFORMANCE_GC_MAJOR)) return;
    const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'old_space');
    if (s) onMajorGc({ committedBytes: s.space_size, usedBytes: s.space_used_size });
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}

function setCompactOnEveryFullGc(on: boolean): void {
  v8.setFlagsFromString(on ? COMPACT_FLAG : '--no-compact-on-every-full-gc');
}

export interface CompactionControl {
  /** Runs one compacting full GC now, then leaves the flag as the policy had it. */
  compactNow(): void;
  stop(): void;
}

/**
 * A function that runs a full GC. Node exposes one only with --expose-gc; the flag also
 * takes effect for contexts created after it is set, so a fresh context hands one out,
 * and the flag is cleared again so no later context gets a global `gc`.
 */
function fullGcFunction(): () => void {
  const given = (globalThis as { gc?: unknown }).gc;
  if (typeof given === 'function') return given as () => void;
  v8.setFlagsFromString('--expose-gc');
  try {
    return vm.runInNewContext('gc') as () => void;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}

/** Turns full-GC compaction on or off for the next full GC after each major one. */
export function adaptCompactionToFragmentation(t: CompactionThresholds = DEFAULT_COMPACTION_THRESHOLDS): CompactionControl {
  let compacting = false;
  setCompactOnEveryFullGc(false);
  const stop = afterEachMajorGc((sample) => {
    const next = shouldCompactNextFullGc(compacting, sample, t);
    if (next !== compacting) setCompactOnEveryFullGc(next);
    compacting = next;
  });
  let gc: (() => void) | undefined;
  return {
    compactNow() {
      gc ??= fullGcFunction();
      setCompactOnEveryFullGc(true);
      try {
        gc();
      } finally {
        // The observer sees this GC too and decides the next one from what it left.
        if (!compacting) setCompactOnEveryFullGc(false);
      }
    },
    stop,
  };
}

/**
 * Sets the growth bound after each major GC for the ones after (V8 computes the next limit
 * at the end of each full GC, so a value set now applies from the next one on).
 */
export function boundHeapGrowth(): () => void {
  let percent = 0;
  return afterEachMajorGc(({ usedBytes }) => {
    const next = heapGrowingPercent(usedBytes);
    if (next !== percent) v8.setFlagsFromString(`${GROWING_FLAG}=${next}`);
    percent = next;
  });
}

/** How often the idle check runs: cheap (a few counters), and coarse enough to never matter under load. */
const IDLE_CHECK_INTERVAL_MS = 5_000;

/**
 * Runs one compacting full GC once the member has been quiet for a while after its heap
 * grew (idle-compaction-policy.ts decides). `activity` is any count that moves with work.
 * Returns a function that stops the checks.
 */
export function compactWhenIdle(control: CompactionControl, activity: () => number): () => void {
  let elu: EventLoopUtilization = performance.eventLoopUtilization();
  const check = (): IdleCheck => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, elu).utilization;
    elu = now;
    const heap = v8.getHeapStatistics();
    return { nowMs: performance.now(), activity: activity(), loopUtilization: busy, heapCommittedBytes: heap.total_heap_size, heapUsedBytes: heap.used_heap_size };
  };
  let state = initialIdleState(check());
  const timer = setInterval(() => {
    const step = idleCompactionStep(state, check());
    state = step.state;
    if (!step.compact) return;
    control.compactNow();
    state = afterIdleCompaction(state, v8.getHeapStatistics().total_heap_size);
    // The GC's own pause made this interval look busy; start the next one after it.
    elu = performance.eventLoopUtilization();
  }, IDLE_CHECK_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

let compaction: CompactionControl | undefined;

export function tuneHeapForServer(): void {
  const toSet = heapFlagsToSet(process.execArgv, process.env['NODE_OPTIONS'] ?? '');
  if (toSet.includes(GROWING_FLAG)) boundHeapGrowth();
  if (toSet.includes(COMPACT_FLAG)) compaction = adaptCompactionToFragmentation();
}

/**
 * After tuneHeapForServer, once the member runs: compacts the heap when the member goes
 * quiet, if etcd manages compaction (a user's own compaction flag turns this off too).
 */
export function compactHeapWhenIdle(activity: () => number): () => void {
  return compaction ? compactWhenIdle(compaction, activity) : () => {};
}
