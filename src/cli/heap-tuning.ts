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
// V8 reads its GC flags at each collection (the candidates for evacuation are chosen when
// a full GC starts marking), so a flag set from a GC observer applies to the next full GC.
// A flag the user gave node (NODE_OPTIONS or the command line) wins: then nothing toggles it.

import v8 from 'node:v8';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { shouldCompactNextFullGc, type CompactionThresholds, DEFAULT_COMPACTION_THRESHOLDS } from './compaction-policy.js';

const COMPACT_FLAG = '--compact-on-every-full-gc';
const FLAGS = [COMPACT_FLAG];

/** The flags to manage: those of FLAGS that node was not already given (any spelling, either sense). */
export function heapFlagsToSet(execArgv: readonly string[], nodeOptions: string): string[] {
  const given = (flag: string): boolean => {
    const name = flag.replace(/^--(no-)?/, '').replace(/_/g, '-');
    const mentioned = (s: string) => s.replace(/_/g, '-').includes(name);
    return execArgv.some(mentioned) || mentioned(nodeOptions);
  };
  return FLAGS.filter((f) => !given(f));
}

function oldSpace(): { committedBytes: number; usedBytes: number } | undefined {
  const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'old_space');
  return s && { committedBytes: s.space_size, usedBytes: s.space_used_size };
}

/** The kind of collection a 'gc' performance entry reports (its detail is not in the entry's type). */
function gcKind(e: PerformanceEntry): number | undefined {
  return (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
}

/**
 * Watches major GCs and turns full-GC compaction on or off for the next one. The observer
 * runs on the event loop shortly after the GC, when old space's used bytes are still
 * close to what the GC found live. Returns a function that stops watching.
 */
export function adaptCompactionToFragmentation(t: CompactionThresholds = DEFAULT_COMPACTION_THRESHOLDS): () => void {
  let compacting = false;
  v8.setFlagsFromString('--no-compact-on-every-full-gc');
  const observer = new PerformanceObserver((list) => {
    const major = list.getEntries().some((e) => gcKind(e) === constants.NODE_PERFORMANCE_GC_MAJOR);
    if (!major) return;
    const sample = oldSpace();
    if (!sample) return;
    const next = shouldCompactNextFullGc(compacting, sample, t);
    if (next !== compacting) v8.setFlagsFromString(next ? COMPACT_FLAG : '--no-compact-on-every-full-gc');
    compacting = next;
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}

export function tuneHeapForServer(): void {
  if (heapFlagsToSet(process.execArgv, process.env['NODE_OPTIONS'] ?? '').includes(COMPACT_FLAG)) adaptCompactionToFragmentation();
}
