// WAL behaviour a member relies on: what save() resolved is read back after reopen, in
// raft's order and with raft's overwrites applied; hard state persists; segments are cut
// and read across; saves are serialized and share fsyncs; snapshots bound what is read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  WAL,
  WalFileNotFoundError,
  WalSnapshotMismatchError,
  WalSnapshotNotFoundError,
} from '../../src/wal/wal.js';
import { EntryType } from '../../src/raft/types.js';
import { META, SMALL_SEGMENT_BYTES, entry, readBack, segmentFiles, summary, tempRoot } from './helpers.js';

test('a new WAL reads back its metadata, no hard state and no entries', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  assert.equal(WAL.exists(dir), false);
  const wal = await WAL.create(dir, META, { segmentBytes: SMALL_SEGMENT_BYTES });
  await wal.close();
  assert.equal(WAL.exists(dir), true);
  assert.deepEqual(segmentFiles(dir), ['0000000000000000-0000000000000000.wal']);
  assert.equal(statSync(join(dir, segmentFiles(dir)[0]!)).size, SMALL_SEGMENT_BYTES, 'preallocated');
  assert.equal(existsSync(`${dir}.tmp`), false);
  const c = await readBack(dir);
  assert.equal(Buffer.from(c.metadata).toString(), 'member-metadata');
  assert.equal(c.hardState, undefined);
  assert.deepEqual(c.entries, []);
});

test('create refuses a directory that already holds a WAL, and accepts an empty one', async (t) => {
  const root = tempRoot(t);
  const dir = join(root, 'wal');
  mkdirSync(dir);
  const wal = await WAL.create(dir, META);
  await wal.close();
  await assert.rejects(WAL.create(dir, META), /wal: .* already exists/);
});

test('saved hard state and entries survive reopen, including conf-change entries and 64-bit votes', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  const wal = await WAL.create(dir, META, { segmentBytes: SMALL_SEGMENT_BYTES });
  await wal.save({ term: 1, vote: 0x8e9e05c52164694dn, commit: 0 }, [entry(1), entry(2, 1, '', EntryType.ConfChange)]);
  await wal.save({ term: 2, vote: 0xffffffffffffffffn, commit: 2 }, [entry(3, 2)]);
  await wal.save({ term: 2, vote: 0xffffffffffffffffn, commit: 3 }, []);
  await wal.close();
  const c = await readBack(dir);
  assert.deepEqual(c.hardState, { term: 2, vote: 0xffffffffffffffffn, commit: 3 });
  assert.deepEqual(summary(c.entries), [
    [1, 1, 'data-1'],
    [2, 1, ''],
    [3, 2, 'data-3'],
  ]);
  assert.equal(c.entries[1]!.type, EntryType.ConfChange);
});

test('an entry rewriting an earlier index replaces it and drops everything after it', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  const wal = await WAL.create(dir, META);
  await wal.save(undefined, [entry(1), entry(2), entry(3), entry(4)]);
  await wal.save(undefined, [entry(2, 2, 'new-2'), entry(3, 2, 'new-3')]);
  await wal.save(undefined, [entry(4, 2, 'new-4')]);
  await wal.save(undefined, [entry(4, 3, 'newer-4')]);
  await wal.close();
  assert.deepEqual(summary((await readBack(dir)).entries), [
    [1, 1, 'data-1'],
    [2, 2, 'new-2'],
    [3, 2, 'new-3'],
    [4, 3, 'newer-4'],
  ]);
});

test('many saves across many segments read back in order, and writing continues after reopen', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  let wal = await WAL.create(dir, META, { segmentBytes: SMALL_SEGMENT_BYTES });
  for (let i = 1; i <= 300; i++) await wal.save({ term: 1 + Math.floor(i / 100), vote: 1n, commit: i - 1 }, [entry(i, 1 + Math.floor(i / 100), 'x'.repeat(i % 90))]);
  await wal.close();
  const segs = segmentFiles(dir);
  assert.ok(segs.length >= 5, `expected several segments, got ${segs.length}`);
  // Names: consecutive seqs; each index is one past the last entry saved before the cut.
  segs.forEach((name, i) => assert.equal(name.slice(0, 16), i.toString(16).padStart(16, '0')));
  // Every segment but the last is truncated to its data; the last is preallocated.
  for (const s of segs.slice(0, -1)) assert.ok(statSync(join(dir, s)).size >= SMALL_SEGMENT_BYTES - 200);
  assert.equal(statSync(join(dir, segs.at(-1)!)).size, SMALL_SEGMENT_BYTES);

  wal = await WAL.open(dir, { segmentBytes: SMALL_SEGMENT_BYTES });
  const c = await wal.readAll();
  assert.deepEqual(c.entries.map((e) => e.index), Array.from({ length: 300 }, (_, i) => i + 1));
  assert.deepEqual(c.hardState, { term: 4, vote: 1n, commit: 299 });
  await wal.save({ term: 4, vote: 1n, commit: 301 }, [entry(301, 4)]);
  await wal.close();
  const again = await readBack(dir);
  assert.equal(again.entries.length, 301);
  assert.equal(again.hardState?.commit, 301);
});

test('the newest segment names the index its first entry should have', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  const wal = await WAL.create(dir, META, { segmentBytes: 256 });
  await wal.save(undefined, [entry(1, 1, 'y'.repeat(300))]); // one save past the segment size cuts
  await wal.close();
  assert.deepEqual(segmentFiles(dir), ['0000000000000000-0000000000000000.wal', '0000000000000001-0000000000000002.wal']);
  // The new segment repeats the hard state, so reading from it alone still finds it.
  assert.deepEqual(summary((await readBack(dir, { segmentBytes: 256 })).entries), [[1, 1, 'y'.repeat(300)]]);
});

test('concurrent saves are written in call order and share fdatasyncs', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  const wal = await WAL.create(dir, META, { segmentBytes: 1024 * 1024 });
  const saves: Promise<void>[] = [];
  for (let i = 1; i <= 200; i++) saves.push(wal.save({ term: 1, vote: 1n, commit: i - 1 }, [entry(i)]));
  await Promise.all(saves);
  const { fsyncs } = wal.stats();
  assert.ok(fsyncs < 200, `200 concurrent saves took ${fsyncs} fdatasyncs`);
  assert.ok(fsyncs >= 1);
  await wal.close();
  const c = await readBack(dir);
  assert.deepEqual(c.entries.map((e) => e.index), Array.from({ length: 200 }, (_, i) => i + 1));
  assert.equal(c.hardState?.commit, 199);
});

test('an oversized entry is refused without harming later saves', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  const wal = await WAL.create(dir, META);
  const huge = { index: 1, term: 1, type: EntryType.Normal, data: new Uint8Array(64 * 1024 * 1024) };
  await assert.rejects(wal.save(undefined, [huge]), /wal: max entry size limit exceeded/);
  await wal.save(undefined, [entry(1)]);
  await wal.close();
  assert.deepEqual(summary((await readBack(dir)).entries), [[1, 1, 'data-1']]);
});

test('after close, saves are refused', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  const wal = await WAL.create(dir, META);
  await wal.close();
  await assert.rejects(wal.save(undefined, [entry(1)]), /wal: closed/);
});

test('opening at a snapshot returns only the entries after it, and needs its snapshot record', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  const wal = await WAL.create(dir, META, { segmentBytes: SMALL_SEGMENT_BYTES });
  await wal.save({ term: 1, vote: 1n, commit: 5 }, [1, 2, 3, 4, 5].map((i) => entry(i)));
  await wal.saveSnapshot({ index: 3, term: 1 });
  await wal.save({ term: 2, vote: 1n, commit: 6 }, [entry(6, 2)]);
  await wal.close();
  assert.deepEqual((await readBack(dir, { fromSnapshot: { index: 3, term: 1 } })).entries.map((e) => e.index), [4, 5, 6]);
  assert.deepEqual((await readBack(dir)).entries.map((e) => e.index), [1, 2, 3, 4, 5, 6]);
  await assert.rejects(readBack(dir, { fromSnapshot: { index: 4, term: 1 } }), (err: Error) => {
    assert.ok(err instanceof WalSnapshotNotFoundError);
    assert.match(err.message, /^wal: snapshot not found/);
    return true;
  });
  await assert.rejects(readBack(dir, { fromSnapshot: { index: 3, term: 2 } }), (err: Error) => {
    assert.ok(err instanceof WalSnapshotMismatchError);
    assert.match(err.message, /^wal: snapshot mismatch/);
    return true;
  });
  // A failed open releases the lock.
  assert.equal((await readBack(dir)).entries.length, 6);
});

test('opening a directory without segments is wal: file not found', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  mkdirSync(dir);
  writeFileSync(join(dir, 'not-a-segment.txt'), 'x');
  await assert.rejects(WAL.open(dir), (err: Error) => err instanceof WalFileNotFoundError && /^wal: file not found/.test(err.message));
});

test('a half-made segment from a crashed cut is ignored and removed', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  const wal = await WAL.create(dir, META);
  await wal.save(undefined, [entry(1)]);
  await wal.close();
  writeFileSync(join(dir, '0000000000000001-0000000000000002.wal.tmp'), Buffer.alloc(64, 7));
  assert.deepEqual(summary((await readBack(dir)).entries), [[1, 1, 'data-1']]);
  assert.deepEqual(readdirSync(dir).sort(), ['0000000000000000-0000000000000000.wal']);
});

test('readAll hands the contents over once', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  await (await WAL.create(dir, META)).close();
  const wal = await WAL.open(dir);
  await wal.readAll();
  await assert.rejects(wal.readAll(), /wal: readAll is only available once/);
  await wal.close();
});

test('entries and metadata read back as plain Uint8Arrays that do not share the segment buffer', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  const wal = await WAL.create(dir, META);
  await wal.save(undefined, [entry(1), entry(2)]);
  await wal.close();
  const c = await readBack(dir);
  assert.deepEqual(c.entries[0], entry(1));
  assert.equal(Object.getPrototypeOf(c.metadata), Uint8Array.prototype);
  assert.ok(c.entries[0]!.data.buffer.byteLength < 1024, 'owns its bytes');
});
