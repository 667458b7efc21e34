// A preload (`node --import ./scripts/lib/tail-probe.mjs bin/etcd ...`) for scripts/watch-tail.mjs:
// records, with wall-clock timestamps (ms since the epoch, performance.timeOrigin based), every
// GC pause and every event-loop stall the process has, and appends them as JSON lines to
// $TAIL_PROBE_OUT. A measuring aid, never loaded by the member itself.
//
// Stalls are found by a 2 ms timer chain: a wake-up later than due by more than
// TAIL_PROBE_LAG_MS (default 1) is one record {kind:'lag', t: when it was due, dur: the lateness,
// run, wait: ms the main thread ran on a CPU / waited in the run queue for one since the
// previous wake-up (from /proc/thread-self/schedstat)}; the rest of a stall is time the thread
// was blocked (a synchronous fdatasync, say), not busy and not descheduled.
import { appendFileSync, openSync, readSync, writeFileSync } from 'node:fs';
import { PerformanceObserver, performance, constants } from 'node:perf_hooks';

const out = process.env.TAIL_PROBE_OUT;
if (out) {
  const lines = [];
  const origin = performance.timeOrigin;
  const kinds = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      lines.push(JSON.stringify({ kind: 'gc', gc: kinds[e.detail?.kind] ?? String(e.detail?.kind), t: origin + e.startTime, dur: e.duration }));
    }
  }).observe({ entryTypes: ['gc'] });
  // The 2 ms chain costs the process about 50 ms of CPU a second: TAIL_PROBE_PERIOD_MS=0 turns it off (GC only).
  const period = Number(process.env.TAIL_PROBE_PERIOD_MS ?? 2);
  const minLag = Number(process.env.TAIL_PROBE_LAG_MS ?? 1);
  // One descriptor, re-read from offset 0 (proc files give fresh contents on every read).
  let schedFd = -1;
  try {
    schedFd = openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    // no schedstat: stalls are recorded without the split
  }
  const schedBuf = Buffer.alloc(128);
  const sched = () => {
    try {
      const n = readSync(schedFd, schedBuf, 0, schedBuf.length, 0);
      const [run, wait] = schedBuf.toString('latin1', 0, n).split(' ').map(Number);
      return { run: run / 1e6, wait: wait / 1e6 };
    } catch {
      return { run: 0, wait: 0 };
    }
  };
  let due = performance.now() + period;
  let last = sched();
  const tick = () => {
    const now = performance.now();
    const late = now - due;
    const s = sched();
    if (late > minLag) lines.push(JSON.stringify({ kind: 'lag', t: origin + due, dur: late, run: s.run - last.run, wait: s.wait - last.wait }));
    last = s;
    due = now + period;
    setTimeout(tick, period).unref();
  };
  if (period > 0) setTimeout(tick, period).unref();
  writeFileSync(out, '');
  const flush = () => {
    if (lines.length === 0) return;
    try {
      appendFileSync(out, lines.join('\n') + '\n');
    } catch {
      // the reader removed its directory: nothing left to record for
    }
    lines.length = 0;
  };
  setInterval(flush, 500).unref();
  process.on('exit', flush);
}
