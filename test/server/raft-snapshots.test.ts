// The log stays bounded: snapshots every --snapshot-count applied entries, persisted in
// the crash-safe order, and the in-memory log cut back to the catch-up entries.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from '../../src/raft/storage.js';
import { EntryType, type Snapshot } from '../../src/raft/types.js';
import { RaftSnapshots } from '../../src/server/raft-snapshots.js';

const quiet = { info: () => undefined, warn: () => undefined };
const conf = { voters: [1n, 2n, 3n], learners: [] };

function storageWith(n: number): MemoryStorage {
  const s = new MemoryStorage();
  s.append(Array.from({ length: n }, (_, i) => ({ term: 1, index: i + 1, type: EntryType.Normal, data: new Uint8Array([i % 256]) })));
  return s;
}

test('a snapshot is taken once more than snapshot-count entries were applied, backend first, then the files', async () => {
  const storage = storageWith(300);
  const order: string[] = [];
  const saved: Snapshot[] = [];
  const snaps = new RaftSnapshots(storage, {
    commitBackend: async () => void order.push('backend'),
    save: async (snap) => {
      order.push('save');
      saved.push(snap);
    },
  }, 100, quiet, 50);
  assert.equal(snaps.maybeSnapshot(100, conf, new Uint8Array()), undefined, 'not past the count yet');
  await snaps.maybeSnapshot(101, conf, new Uint8Array([7]));
  assert.deepEqual(order, ['backend', 'save']);
  assert.equal(saved[0]!.metadata.index, 101);
  assert.deepEqual(saved[0]!.metadata.confState, conf);
  assert.equal(storage.firstIndex(), 52, 'catch-up entries behind the snapshot stay');
  assert.equal(snaps.maybeSnapshot(201, conf, new Uint8Array()), undefined, 'the next one needs another count');
  await snaps.maybeSnapshot(202, conf, new Uint8Array());
  assert.equal(storage.firstIndex(), 153);
});

test('the log keeps exactly the catch-up entries behind a snapshot, as etcd does', async () => {
  const storage = storageWith(300);
  const snaps = new RaftSnapshots(storage, { commitBackend: async () => undefined, save: async () => undefined }, 100, quiet, 50);
  await snaps.maybeSnapshot(250, conf, new Uint8Array());
  assert.equal(storage.firstIndex(), 201, 'however far a follower lags: it gets the snapshot instead');
  assert.equal(storage.entries(201, 251, Infinity).length, 50);
});

test('a failed save keeps the whole log and is retried at the next apply', async () => {
  const storage = storageWith(300);
  let fail = true;
  const saved: number[] = [];
  const snaps = new RaftSnapshots(storage, {
    commitBackend: async () => undefined,
    save: async (snap) => {
      if (fail) throw new Error('disk full');
      saved.push(snap.metadata.index);
    },
  }, 100, quiet, 50);
  await snaps.maybeSnapshot(150, conf, new Uint8Array());
  assert.equal(storage.firstIndex(), 1);
  fail = false;
  await snaps.maybeSnapshot(151, conf, new Uint8Array());
  assert.deepEqual(saved, [151]);
  assert.equal(storage.firstIndex(), 102);
});

test('a snapshot installed from the leader restarts the count from its index', async () => {
  const storage = storageWith(300);
  const saved: number[] = [];
  const snaps = new RaftSnapshots(storage, { commitBackend: async () => undefined, save: async (snap) => void saved.push(snap.metadata.index) }, 100, quiet, 50);
  snaps.installed(180);
  assert.equal(snaps.maybeSnapshot(250, conf, new Uint8Array()), undefined, 'only 70 applied since the installed one');
  await snaps.maybeSnapshot(281, conf, new Uint8Array());
  assert.deepEqual(saved, [281]);
});
