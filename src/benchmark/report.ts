// etcd's benchmark report (tools/benchmark/pkg/report): a summary, a 10-bucket latency
// histogram, the 10..99.9% latency distribution and the error counts. Pure functions over
// latencies in seconds, so the formatting is testable on known inputs.

export const PERCENTILES = [10, 25, 50, 75, 90, 95, 99, 99.9] as const;
const HISTOGRAM_BUCKETS = 10;
const BAR_WIDTH = 40;

export interface Stats {
  /** Wall-clock seconds from first request issued to last answer. */
  total: number;
  /** Successful request latencies in seconds, sorted ascending. */
  latencies: Float64Array;
  fastest: number;
  slowest: number;
  average: number;
  stddev: number;
  rps: number;
  /** Error message -> count. */
  errors: Map<string, number>;
}

export function computeStats(latencies: Float64Array, totalSecs: number, errors: Map<string, number>): Stats {
  const sorted = Float64Array.from(latencies).sort();
  const n = sorted.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const average = n === 0 ? 0 : sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const d = sorted[i]! - average;
    sq += d * d;
  }
  return {
    total: totalSecs,
    latencies: sorted,
    fastest: n === 0 ? 0 : sorted[0]!,
    slowest: n === 0 ? 0 : sorted[n - 1]!,
    average,
    stddev: n === 0 ? 0 : Math.sqrt(sq / n),
    rps: totalSecs > 0 ? n / totalSecs : 0,
    errors,
  };
}

/**
 * etcd's percentile rule: the first sorted sample whose rank i*100/n reaches the percentile
 * (no interpolation), so p50 of [1,2,3,4] is 3; each sample settles at most one percentile.
 */
export function percentiles(sorted: Float64Array, pctls: readonly number[] = PERCENTILES): number[] {
  const out = new Array<number>(pctls.length).fill(0);
  const n = sorted.length;
  let j = 0;
  for (let i = 0; i < n && j < pctls.length; i++) {
    const rank = (i * 100) / n;
    // One percentile per sample at most, exactly as etcd's loop: with few samples the
    // high percentiles stay unset (and are not printed).
    if (rank >= pctls[j]!) {
      out[j] = sorted[i]!;
      j++;
    }
  }
  return out;
}

export interface HistogramBucket {
  /** Upper bound of the bucket in seconds. */
  mark: number;
  count: number;
}

/** 11 marks from fastest to slowest in equal steps; each latency counts in the first mark >= it. */
export function histogram(sorted: Float64Array, fastest: number, slowest: number): HistogramBucket[] {
  const step = (slowest - fastest) / HISTOGRAM_BUCKETS;
  const buckets: HistogramBucket[] = [];
  for (let i = 0; i < HISTOGRAM_BUCKETS; i++) buckets.push({ mark: fastest + step * i, count: 0 });
  buckets.push({ mark: slowest, count: 0 });
  let b = 0;
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    while (b < HISTOGRAM_BUCKETS && v > buckets[b]!.mark) b++;
    buckets[b]!.count++;
  }
  return buckets;
}

/** Go's %4.4f, or %g-like shortest form for --precise. */
function fmt(v: number, precise: boolean): string {
  return precise ? String(v) : v.toFixed(4);
}

export function formatReport(s: Stats, precise = false): string {
  const lines: string[] = [];
  const secs = (v: number) => `${fmt(v, precise)} secs.`;
  lines.push('', 'Summary:');
  lines.push(`  Total:\t${secs(s.total)}`);
  lines.push(`  Slowest:\t${secs(s.slowest)}`);
  lines.push(`  Fastest:\t${secs(s.fastest)}`);
  lines.push(`  Average:\t${secs(s.average)}`);
  lines.push(`  Stddev:\t${secs(s.stddev)}`);
  lines.push(`  Requests/sec:\t${fmt(s.rps, precise)}`);
  if (s.latencies.length > 0) {
    lines.push('', 'Response time histogram:');
    const hist = histogram(s.latencies, s.fastest, s.slowest);
    const max = Math.max(...hist.map((h) => h.count));
    for (const h of hist) {
      const bar = max > 0 ? '∎'.repeat(Math.floor((h.count * BAR_WIDTH) / max)) : '';
      lines.push(`  ${fmt(h.mark, precise)} [${h.count}]\t|${bar}`);
    }
    lines.push('', 'Latency distribution:');
    const ps = percentiles(s.latencies);
    PERCENTILES.forEach((p, i) => {
      if (ps[i]! > 0) lines.push(`  ${p}% in ${secs(ps[i]!)}`);
    });
  }
  if (s.errors.size > 0) {
    lines.push('', 'Error distribution:');
    for (const [msg, count] of s.errors) lines.push(`  [${count}]\t${msg}`);
  }
  return lines.join('\n') + '\n';
}
