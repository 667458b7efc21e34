// A copy made for a peer's snapshot is timed in etcd_disk_backend_snapshot_duration_seconds
// once its stream closes, as etcd times the backend snapshots it sends to peers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { copyForSnapshot } from '../../src/server/snapshot-source.js';
import { metricsRegistry } from '../../src/metrics/registry.js';

async function snapshotsTimed(): Promise<number> {
  const line = (await metricsRegistry.metrics()).split('\n').find((l) => l.startsWith('etcd_disk_backend_snapshot_duration_seconds_count '));
  return Number(line?.split(' ')[1]);
}

test('the copy is timed when its stream closes, not before', async () => {
  const stream = new PassThrough();
  const before = await snapshotsTimed();
  const copy = await copyForSnapshot({
    inspectedCopy: async (inspect) => ({
      stream,
      size: 0,
      inspected: inspect({ get: () => undefined, range: () => [] }),
    }),
  });
  assert.equal(copy.snapshot.metadata.index, 0);
  assert.equal(await snapshotsTimed(), before);
  const closed = new Promise((resolve) => stream.once('close', resolve));
  stream.destroy();
  await closed;
  assert.equal(await snapshotsTimed(), before + 1);
});
