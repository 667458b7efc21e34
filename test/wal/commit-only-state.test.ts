// A hard state that only moves the commit index (raft's MustSync false) is not written on
// its own: it rides along with the next write, or is written at close. What a crash may
// then lose is only that commit index; entries and term/vote changes are on disk before
// save() resolves. The "crash" here is a copy of the WAL directory taken while the WAL
// is still open, which is what a process killed at that moment leaves.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { WAL } from '../../src/wal/wal.js';
import { META, SMALL_SEGMENT_BYTES, entry, readBack, summary, tempRoot } from './helpers.js';

/** The WAL as a crash right now would leave it (the copy has no lock file held). */
async function afterCrash(dir: string, root: string, name: string): Promise<Awaited<ReturnType<typeof readBack>>> {
  const copy = join(root, name);
  cpSync(dir, copy, { recursive: true });
  rmSync(join(copy, 'LOCK'), { force: true });
  return readBack(copy);
}

test('a commit-only hard state is written with the next save, in order, and entries stay durable at once', async (t) => {
  const root = tempRoot(t);
  const dir = join(root, 'wal');
  const wal = await WAL.create(dir, META, { segmentBytes: SMALL_SEGMENT_BYTES });
  await wal.save({ term: 2, vote: 1n, commit: 0 }, [entry(1, 2)]);
  await wal.save({ term: 2, vote: 1n, commit: 1 }, [], false);
  const crashed = await afterCrash(dir, root, 'crash1');
  assert.deepEqual(summary(crashed.entries), [[1, 2, 'data-1']], 'the entry is durable');
  assert.deepEqual(crashed.hardState, { term: 2, vote: 1n, commit: 0 }, 'the commit-only record is not written yet');
  await wal.save({ term: 2, vote: 1n, commit: 1 }, [entry(2, 2)]);
  const crashed2 = await afterCrash(dir, root, 'crash2');
  assert.deepEqual(summary(crashed2.entries), [[1, 2, 'data-1'], [2, 2, 'data-2']]);
  assert.deepEqual(crashed2.hardState, { term: 2, vote: 1n, commit: 1 });
  await wal.close();
});

test('close writes a pending commit-only hard state', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  const wal = await WAL.create(dir, META, { segmentBytes: SMALL_SEGMENT_BYTES });
  await wal.save({ term: 1, vote: 1n, commit: 0 }, [entry(1), entry(2)]);
  await wal.save({ term: 1, vote: 1n, commit: 1 }, [], false);
  await wal.save({ term: 1, vote: 1n, commit: 2 }, [], false);
  await wal.close();
  const c = await readBack(dir);
  assert.deepEqual(c.hardState, { term: 1, vote: 1n, commit: 2 });
  assert.deepEqual(summary(c.entries), [[1, 1, 'data-1'], [2, 1, 'data-2']]);
});

test('a term or vote change is never deferred, even when the caller says no sync is needed', async (t) => {
  const root = tempRoot(t);
  const dir = join(root, 'wal');
  const wal = await WAL.create(dir, META, { segmentBytes: SMALL_SEGMENT_BYTES });
  await wal.save({ term: 1, vote: 1n, commit: 0 }, [entry(1)]);
  // mustSync true: the raft core asks for a sync whenever term or vote changed.
  await wal.save({ term: 2, vote: 2n, commit: 1 }, [], true);
  const crashed = await afterCrash(dir, root, 'crash');
  assert.deepEqual(crashed.hardState, { term: 2, vote: 2n, commit: 1 });
  await wal.close();
});
