// The kind of collection a 'gc' performance entry reports (perf_hooks constants
// NODE_PERFORMANCE_GC_MAJOR, _MINOR, ...): node puts it in the entry's detail, which
// PerformanceEntry's type does not declare.

import type { PerformanceEntry } from 'node:perf_hooks';

export function gcKind(e: PerformanceEntry): number | undefined {
  return (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
}
