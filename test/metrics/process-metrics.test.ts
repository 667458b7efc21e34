// The process and scrape families: limits read from /proc/self/limits as Go reads them
// (the soft column, "unlimited" as the largest uint64), and promhttp's counting of scrapes
// (in flight while gathered, counted by status once done, failures as 500).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countedScrape, softLimit } from '../../src/metrics/process-metrics.js';
import { metricsRegistry } from '../../src/metrics/registry.js';

const LIMITS = [
  'Limit                     Soft Limit           Hard Limit           Units     ',
  'Max open files            1024                 4096                 files     ',
  'Max address space         unlimited            unlimited            bytes     ',
  '',
].join('\n');

test('the soft limit of a row; unlimited is 2^64 - 1; a missing row is undefined', () => {
  assert.equal(softLimit(LIMITS, 'Max open files'), 1024);
  assert.equal(softLimit(LIMITS, 'Max address space'), 2 ** 64 - 1);
  assert.equal(softLimit(LIMITS, 'Max locked memory'), undefined);
});

async function sample(series: string): Promise<number> {
  const line = (await metricsRegistry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line, series);
  return Number(line.split(' ')[1]);
}

const OK = 'promhttp_metric_handler_requests_total{code="200"}';
const FAILED = 'promhttp_metric_handler_requests_total{code="500"}';

test('a scrape is in flight while gathered and counted by its status once done', async () => {
  const before = { ok: await sample(OK), failed: await sample(FAILED) };
  const inFlight = await countedScrape(() => sample('promhttp_metric_handler_requests_in_flight'));
  assert.equal(inFlight, 1);
  assert.equal(await sample(OK), before.ok + 1);
  await assert.rejects(countedScrape(() => Promise.reject(new Error('gather failed'))), /gather failed/);
  assert.equal(await sample(FAILED), before.failed + 1);
  assert.equal(await sample(OK), before.ok + 1);
  assert.equal(await sample('promhttp_metric_handler_requests_in_flight'), 0);
});
