// WAL behaviour a member relies on: what save() resolved survives reopen; a torn tail
// is repaired wherever the crash cut the last write; damage before the tail stops the
// member with `wal: crc mismatch` naming file and offset.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WAL, WalLockedError } from '../../src/wal/wal.js';
import { WalCorruptionError } from '../../src/wal/segment-reader.js';
import { EntryType, type Entry } from '../../src/raft/types.js';
import { frameSize } from '../../src/wal/record-format.js';

const SMALL_SEGMENT = 4096;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'wal-test-'));
}

function entry(index: number, term = 1, data = `data-${index}`): Entry {
  return { index, term, type: EntryType.Normal, data: new TextEncoder().encode(data) };
}

const meta = new TextEncoder().encode('member-metadata');

async function reopen(dir: string, segmentBytes = SMALL_SEGMENT) {
  const { wal, contents } = await WAL.open(dir, { segmentBytes });
  await wal.close();
  return contents;
}

/** Offset of the last non-zero byte in [from, to): a frame is whole once it is written (zeros are there already). */
function lastNonZero(buf: Buffer, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) if (buf[i] !== 0) return i;
  return from;
}

function segments(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith('.wal')).sort();
}

test('saved hard state and entries survive reopen', async () => {
  const root = tmp();
  const dir = join(root, 'wal');
  const wal = await WAL.create(dir, meta, { segmentBytes: SMALL_SEGMENT });
  await wal.save({ term: 1, vote: 0x8e9e05c52164694dn, commit: 0 }, [entry(1), entry(2)]);
  await wal.save({ term: 2, vote: 0x8e9e05c52164694dn, commit: 2 }, [entry(3, 2)]);
  await wal.close();
  const c = await reopen(dir);
  assert.deepEqual(Buffer.from(c.metadata).toString(), 'member-metadata');
  assert.deepEqual(c.hardState, { term: 2, vote: 0x8e9e05c52164694dn, commit: 2 });
  assert.deepEqual(c.entries.map((e) => [e.index, e.term, Buffer.from(e.data).toString()]), [
    [1, 1, 'data-1'],
    [2, 1, 'data-2'],
    [3, 2, 'data-3'],
  ]);
  rmSync(root, { recursive: true, force: true });
});

test('a rewritten index replaces the conflicting suffix', async () => {
  const root = tmp();
  const dir = join(root, 'wal');
  const wal = await WAL.create(dir, meta);
  await wal.save(undefined, [entry(1), entry(2), entry(3)]);
  await wal.save(undefined, [entry(2, 2, 'new-2')]);
  await wal.close();
  const c = await reopen(dir);
  assert.deepEqual(c.entries.map((e) => [e.index, e.term]), [[1, 1], [2, 2]]);
  rmSync(root, { recursive: true, force: true });
});

test('entries spanning many segments are read back in order, and writing continues after reopen', async () => {
  const root = tmp();
  const dir = join(root, 'wal');
  let wal = await WAL.create(dir, meta, { segmentBytes: SMALL_SEGMENT });
  for (let i = 1; i <= 200; i++) await wal.save({ term: 1, vote: 1n, commit: i }, [entry(i, 1, 'x'.repeat(50))]);
  await wal.close();
  assert.ok(segments(dir).length > 3, `expected several segments, got ${segments(dir).length}`);
  const opened = await WAL.open(dir, { segmentBytes: SMALL_SEGMENT });
  wal = opened.wal;
  assert.equal(opened.contents.entries.length, 200);
  await wal.save({ term: 1, vote: 1n, commit: 201 }, [entry(201)]);
  await wal.close();
  const c = await reopen(dir);
  assert.deepEqual(c.entries.map((e) => e.index), Array.from({ length: 201 }, (_, i) => i + 1));
  assert.equal(c.hardState?.commit, 201);
  rmSync(root, { recursive: true, force: true });
});

test('a torn last write is repaired at every byte where the crash could cut it', async () => {
  const root = tmp();
  const base = join(root, 'base');
  const wal = await WAL.create(base, meta, { segmentBytes: SMALL_SEGMENT });
  await wal.save({ term: 1, vote: 1n, commit: 1 }, [entry(1)]);
  await wal.close();
  const [seg] = segments(base);
  const before = readFileSync(join(base, seg!));
  // Append one more save, then rebuild copies of the file with only a prefix of it written.
  const good = await WAL.open(base, { segmentBytes: SMALL_SEGMENT });
  await good.wal.save({ term: 1, vote: 1n, commit: 2 }, [entry(2, 1, 'y'.repeat(40))]);
  await good.wal.close();
  const after = readFileSync(join(base, seg!));
  let start = 0;
  while (start < before.length && before[start] === after[start]) start++;
  const lastWriteBytes = frameSize(17 + 40) + frameSize(24);
  for (let cut = 1; cut < lastWriteBytes; cut++) {
    const dir = join(root, `cut-${cut}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const torn = Buffer.from(before);
    after.copy(torn, start, start, start + cut);
    writeFileSync(join(dir, seg!), torn);
    const c = await reopen(dir);
    // Once the entry frame's header and payload are on disk it is whole (its padding is
    // zero anyway) and may be recovered; it was never acknowledged, so either is safe.
    const entryWhole = cut > lastNonZero(after, start, start + frameSize(17 + 40)) - start;
    assert.deepEqual(c.entries.map((e) => e.index), entryWhole ? [1, 2] : [1], `cut at ${cut}`);
    const stateStart = start + frameSize(17 + 40);
    const stateWhole = cut > lastNonZero(after, stateStart, stateStart + frameSize(24)) - start;
    assert.equal(c.hardState?.commit, stateWhole ? 2 : 1, `hard state after cut at ${cut}`);
    // The repaired log accepts new writes that survive another reopen.
    const { wal: w2 } = await WAL.open(dir);
    await w2.save({ term: 1, vote: 1n, commit: 2 }, [entry(2)]);
    await w2.close();
    assert.deepEqual((await reopen(dir)).entries.map((e) => e.index), [1, 2], `rewrite after cut at ${cut}`);
  }
  rmSync(root, { recursive: true, force: true });
});

test('damage before the tail stops opening with wal: crc mismatch, file and offset', async () => {
  const root = tmp();
  const dir = join(root, 'wal');
  const wal = await WAL.create(dir, meta);
  for (let i = 1; i <= 10; i++) await wal.save({ term: 1, vote: 1n, commit: i }, [entry(i)]);
  await wal.close();
  const [seg] = segments(dir);
  const path = join(dir, seg!);
  const buf = readFileSync(path);
  const target = 200; // inside an early entry, well before the last record
  buf[target] = buf[target]! ^ 0xff;
  writeFileSync(path, buf);
  await assert.rejects(WAL.open(dir), (err: unknown) => {
    assert.ok(err instanceof WalCorruptionError);
    assert.match(err.message, /^wal: crc mismatch/);
    assert.ok(err.message.includes(path), err.message);
    assert.match(err.message, /at offset \d+/);
    return true;
  });
  rmSync(root, { recursive: true, force: true });
});

test('a second live process cannot open a locked WAL; a stale lock from a dead one is taken over', async () => {
  const root = tmp();
  const dir = join(root, 'wal');
  const wal = await WAL.create(dir, meta);
  await wal.close();
  // pid 1 is always alive and never us.
  writeFileSync(join(dir, 'LOCK'), '1\n');
  await assert.rejects(WAL.open(dir), WalLockedError);
  writeFileSync(join(dir, 'LOCK'), '999999999\n');
  const opened = await WAL.open(dir);
  await opened.wal.close();
  assert.ok(statSync(dir).isDirectory());
  rmSync(root, { recursive: true, force: true });
});
