// The KV request counters count in plain numbers and reach /metrics when it is read:
// every inc() shows, on every read, and a read in between loses nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricsRegistry, putTotal, rangeTotal } from '../../src/metrics/registry.js';

async function value(name: string): Promise<number> {
  const text = await metricsRegistry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} is exported`);
  return Number(line.split(' ')[1]);
}

test('counts made between reads all show, and reads do not count twice', async () => {
  const puts = await value('etcd_mvcc_put_total');
  const ranges = await value('etcd_mvcc_range_total');
  putTotal.inc();
  putTotal.inc();
  rangeTotal.inc();
  assert.equal(await value('etcd_mvcc_put_total'), puts + 2);
  assert.equal(await value('etcd_mvcc_put_total'), puts + 2);
  putTotal.inc();
  assert.equal(await value('etcd_mvcc_put_total'), puts + 3);
  assert.equal(await value('etcd_mvcc_range_total'), ranges + 1);
});
