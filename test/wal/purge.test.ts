// --max-wals: once a snapshot covers the log up to an index, releaseLockTo(index) lets
// purge() delete the segments wholly before it, oldest first, never one still needed.
// The member then restarts from that snapshot.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { WAL, WalFileNotFoundError } from '../../src/wal/wal.js';
import { validSnapshotMarks } from '../../src/wal/wal-inspect.js';
import { META, entry, readBack, segmentFiles, tempRoot } from './helpers.js';

const SEGMENT_BYTES = 1024;

/** Segment name index (hex in the file name) of each segment. */
function nameIndexes(dir: string): number[] {
  return segmentFiles(dir).map((n) => parseInt(n.slice(17, 33), 16));
}

test('purge keeps every segment until the lock is released, then removes the oldest beyond max-wals', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  const wal = await WAL.create(dir, META, { segmentBytes: SEGMENT_BYTES });
  for (let i = 1; i <= 100; i++) await wal.save({ term: 1, vote: 1n, commit: i }, [entry(i, 1, 'p'.repeat(50))]);
  const before = segmentFiles(dir);
  assert.ok(before.length >= 6, `${before.length} segments`);
  assert.deepEqual(await wal.purge(2), [], 'all segments are still held');

  const snapIndex = 60;
  await wal.saveSnapshot({ index: snapIndex, term: 1 });
  wal.releaseLockTo(snapIndex);
  const removed = await wal.purge(2);
  const kept = nameIndexes(dir);
  // The segment holding the entry after the snapshot is kept, whatever max-wals says.
  const holding = Math.max(...before.map((n) => parseInt(n.slice(17, 33), 16)).filter((ix) => ix <= snapIndex));
  assert.equal(kept[0], holding);
  assert.equal(removed.length, before.length - kept.length);
  assert.deepEqual(removed, before.slice(0, removed.length).map((n) => join(dir, n)));
  assert.deepEqual(await wal.purge(0), [], '0 means unlimited');
  await wal.close();

  const c = await readBack(dir, { segmentBytes: SEGMENT_BYTES, fromSnapshot: { index: snapIndex, term: 1 } });
  assert.deepEqual(c.entries.map((e) => e.index), Array.from({ length: 100 - snapIndex }, (_, i) => snapIndex + 1 + i));
  assert.equal(c.hardState?.commit, 100);
  // Without the snapshot the start of the log is gone.
  await assert.rejects(readBack(dir, { segmentBytes: SEGMENT_BYTES }), WalFileNotFoundError);
});

test('purge never goes below max-wals', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  const wal = await WAL.create(dir, META, { segmentBytes: SEGMENT_BYTES });
  for (let i = 1; i <= 100; i++) await wal.save(undefined, [entry(i, 1, 'q'.repeat(50))]);
  await wal.saveSnapshot({ index: 100, term: 1 });
  wal.releaseLockTo(101);
  const total = segmentFiles(dir).length;
  assert.equal((await wal.purge(total - 1)).length, 1);
  assert.equal(segmentFiles(dir).length, total - 1);
  await wal.close();
});

test('releaseLockTo keeps the newest segment starting at or below the index', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  const wal = await WAL.create(dir, META, { segmentBytes: 256 });
  // One save per segment: segment k (k ≥ 1) is named index k + 1.
  for (let i = 1; i <= 6; i++) await wal.save(undefined, [entry(i, 1, 'r'.repeat(200))]);
  assert.deepEqual(nameIndexes(dir), [0, 2, 3, 4, 5, 6, 7]);
  wal.releaseLockTo(4); // releases 0, 2; keeps 3 (it may hold entry 4)
  await wal.purge(1);
  assert.deepEqual(nameIndexes(dir), [3, 4, 5, 6, 7]);
  wal.releaseLockTo(100); // keeps only the last
  await wal.purge(1);
  assert.deepEqual(nameIndexes(dir), [7]);
  await wal.close();
});

test('valid snapshot marks are those at or below the last committed index', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  const wal = await WAL.create(dir, META);
  await wal.save({ term: 1, vote: 1n, commit: 3 }, [1, 2, 3, 4, 5].map((i) => entry(i)));
  await wal.saveSnapshot({ index: 2, term: 1 });
  await wal.saveSnapshot({ index: 5, term: 1 });
  await wal.close();
  assert.deepEqual(await validSnapshotMarks(dir), [
    { index: 0, term: 0 },
    { index: 2, term: 1 },
  ]);
});
