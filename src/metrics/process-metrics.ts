// Process families etcd exports beside prom-client's process_* ones: etcd's own fd gauges,
// the address-space limit Go's process collector reports, and the counters Go's promhttp
// keeps about the /metrics handler itself. All are read when /metrics is scraped.

import { readdirSync, readFileSync } from 'node:fs';
import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from './registry.js';

/** What /proc/self/limits prints for an unlimited value, as Go reads it: the largest uint64. */
const UNLIMITED = 2 ** 64 - 1;

/** The soft limit of a /proc/self/limits row (e.g. "Max open files"), or undefined if unreadable. */
export function softLimit(limitsText: string, row: string): number | undefined {
  for (const line of limitsText.split('\n')) {
    if (!line.startsWith(row)) continue;
    const soft = line.slice(row.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return UNLIMITED;
    const n = Number(soft);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function readLimit(row: string): number | undefined {
  try {
    return softLimit(readFileSync('/proc/self/limits', 'utf8'), row);
  } catch {
    return undefined;
  }
}

function gaugeAtScrape(name: string, help: string, read: () => number | undefined): Gauge {
  return new Gauge({
    name,
    help,
    registers: [metricsRegistry],
    collect() {
      const v = read();
      if (v !== undefined) this.set(v);
    },
  });
}

// Node raises its soft fd limit to the hard one at start, as the Go runtime does for etcd,
// so both report the same number for the same shell limits.
gaugeAtScrape('os_fd_limit', 'The file descriptor limit.', () => readLimit('Max open files'));
gaugeAtScrape('os_fd_used', 'The number of used file descriptors.', () => {
  try {
    // Counts the directory's own descriptor too, as etcd's count does.
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
});
gaugeAtScrape('process_virtual_memory_max_bytes', 'Maximum amount of virtual memory available in bytes.', () => readLimit('Max address space'));

const scrapesInFlight = new Gauge({
  name: 'promhttp_metric_handler_requests_in_flight',
  help: 'Current number of scrapes being served.',
  registers: [metricsRegistry],
});
const scrapesTotal = new Counter({
  name: 'promhttp_metric_handler_requests_total',
  help: 'Total number of scrapes by HTTP status code.',
  labelNames: ['code'],
  registers: [metricsRegistry],
});
// promhttp starts the codes it can answer with at zero: 200, 500 (gathering failed) and 503
// (over its concurrency limit, which etcd does not set).
for (const code of ['200', '500', '503']) scrapesTotal.inc({ code }, 0);

/**
 * Runs one scrape as promhttp counts it: in flight while the text is gathered (so a scrape
 * sees itself in flight), and counted by its status once gathered (so a scrape does not
 * see itself in the total).
 */
export async function countedScrape<T>(gather: () => Promise<T>): Promise<T> {
  scrapesInFlight.inc();
  let code = '500';
  try {
    const out = await gather();
    code = '200';
    return out;
  } finally {
    scrapesInFlight.dec();
    scrapesTotal.inc({ code });
  }
}
