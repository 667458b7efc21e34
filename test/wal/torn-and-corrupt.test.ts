// Crash repair and corruption refusal. A torn last write (a save a crash cut short, so
// never acknowledged) is cut off with a warning wherever the cut falls; damage to bytes
// that were durable stops open() with `wal: crc mismatch`, the file and the offset.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WAL, WalCorruptionError } from '../../src/wal/wal.js';
import { dumpWal } from '../../src/wal/wal-inspect.js';
import { META, SMALL_SEGMENT_BYTES, entry, readBack, segmentFiles, summary, tempRoot, warnings } from './helpers.js';

/** Offset of the last non-zero byte of buf[from, to), or from - 1 if none. */
function lastNonZero(buf: Buffer, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) if (buf[i] !== 0) return i;
  return from - 1;
}

function expectCorruption(file: string, offset: number) {
  return (err: unknown) => {
    assert.ok(err instanceof WalCorruptionError, String(err));
    assert.match(err.message, /^wal: crc mismatch: /);
    assert.ok(err.message.endsWith(`in ${file} at offset ${offset}`), err.message);
    assert.equal(err.file, file);
    assert.equal(err.offset, offset);
    return true;
  };
}

test('a last save torn at every byte is repaired; acknowledged saves survive and writing resumes', async (t) => {
  const root = tempRoot(t);
  const base = join(root, 'base');
  let wal = await WAL.create(base, META, { segmentBytes: SMALL_SEGMENT_BYTES });
  await wal.save({ term: 1, vote: 1n, commit: 0 }, [entry(1), entry(2)]);
  await wal.save({ term: 1, vote: 1n, commit: 1 }, []);
  await wal.close();
  const [seg] = segmentFiles(base);
  const before = readFileSync(join(base, seg!));
  wal = await WAL.open(base, { segmentBytes: SMALL_SEGMENT_BYTES });
  await wal.save({ term: 2, vote: 1n, commit: 2 }, [entry(3, 2, 'y'.repeat(40))]);
  await wal.close();
  const after = readFileSync(join(base, seg!));
  const frames = (await dumpWal(base)).filter((r) => r.file === seg);
  const entryAt = frames.find((r) => r.type === 'entry' && r.entry.index === 3)!.offset;
  const stateAt = frames.at(-1)!.offset;
  const end = lastNonZero(after, 0, after.length) + 1;
  assert.ok(entryAt < stateAt && stateAt < end);
  // The crash kept the first `cut` bytes of the last write; the rest is still the preallocated zeros.
  for (let cut = 0; cut <= end - entryAt; cut++) {
    const dir = join(root, `cut-${cut}`);
    mkdirSync(dir);
    const torn = Buffer.from(before);
    after.copy(torn, entryAt, entryAt, entryAt + cut);
    writeFileSync(join(dir, seg!), torn);
    const w = warnings();
    const c = await readBack(dir, { warn: w.warn });
    // A frame is whole once its last non-zero byte is on disk (its padding was zero already).
    const entryWhole = entryAt + cut > lastNonZero(after, entryAt, stateAt);
    const stateWhole = entryAt + cut >= end;
    assert.deepEqual(c.entries.map((e) => e.index), entryWhole ? [1, 2, 3] : [1, 2], `entries after cut at ${cut}`);
    assert.equal(c.hardState?.commit, stateWhole ? 2 : 1, `hard state after cut at ${cut}`);
    // A warning exactly when some non-zero byte of an unfinished frame is on disk.
    const written = entryAt + cut;
    const repaired = (!entryWhole && lastNonZero(after, entryAt, written) >= entryAt) || (!stateWhole && lastNonZero(after, stateAt, written) >= stateAt);
    assert.equal(w.seen.length, repaired ? 1 : 0, `warnings after cut at ${cut}`);
    if (repaired) {
      assert.equal(w.seen[0]!.msg, 'wal: repairing torn tail');
      assert.equal(w.seen[0]!.fields.offset, entryWhole ? stateAt : entryAt);
    }
    // The repaired log takes new writes, which survive another reopen with no warning.
    const w2 = await WAL.open(dir, { segmentBytes: SMALL_SEGMENT_BYTES });
    await w2.readAll();
    await w2.save({ term: 3, vote: 1n, commit: 3 }, [entry(3, 3, 'rewritten')]);
    await w2.close();
    const w3 = warnings();
    const again = await readBack(dir, { warn: w3.warn });
    assert.deepEqual(summary(again.entries).at(-1), [3, 3, 'rewritten'], `rewrite after cut at ${cut}`);
    assert.equal(again.hardState?.commit, 3);
    assert.equal(w3.seen.length, 0);
  }
});

test('a power loss that kept later sectors of the last save but not an earlier one is a torn tail', async (t) => {
  const root = tempRoot(t);
  const base = join(root, 'base');
  let wal = await WAL.create(base, META, { segmentBytes: SMALL_SEGMENT_BYTES });
  await wal.save({ term: 1, vote: 1n, commit: 1 }, [entry(1)]);
  await wal.close();
  const [seg] = segmentFiles(base);
  const before = readFileSync(join(base, seg!));
  wal = await WAL.open(base, { segmentBytes: SMALL_SEGMENT_BYTES });
  await wal.save({ term: 1, vote: 1n, commit: 2 }, [entry(2, 1, 'z'.repeat(2000))]);
  await wal.close();
  const after = readFileSync(join(base, seg!));
  const start = lastNonZero(before, 0, before.length) + 1;
  const end = lastNonZero(after, 0, after.length) + 1;
  const firstSector = Math.floor(start / 512) * 512;
  // Lose each sector of the write in turn (a lost first sector keeps its old contents).
  for (let sector = firstSector; sector < end; sector += 512) {
    const dir = join(root, `lost-${sector}`);
    mkdirSync(dir);
    const damaged = Buffer.from(after);
    before.copy(damaged, sector, sector, sector + 512);
    writeFileSync(join(dir, seg!), damaged);
    const w = warnings();
    const c = await readBack(dir, { warn: w.warn });
    assert.deepEqual(summary(c.entries), [[1, 1, 'data-1']], `lost sector at ${sector}`);
    assert.equal(w.seen.length, 1);
  }
});

test('a flipped byte in an acknowledged record before the tail is wal: crc mismatch, naming file and frame offset', async (t) => {
  const root = tempRoot(t);
  const base = join(root, 'base');
  const wal = await WAL.create(base, META, { segmentBytes: SMALL_SEGMENT_BYTES });
  for (let i = 1; i <= 10; i++) await wal.save({ term: 1, vote: 1n, commit: i - 1 }, [entry(i)]);
  await wal.close();
  const [seg] = segmentFiles(base);
  const records = await dumpWal(base);
  // Every byte of every frame but the last two (the last save) is checked: header, payload, padding.
  const lastSaveAt = records.at(-2)!.offset;
  const original = readFileSync(join(base, seg!));
  for (let i = 0; i < records.length - 2; i++) {
    const at = records[i]!.offset;
    const next = records[i + 1]!.offset;
    for (const pos of [at, at + 4, at + 8, at + 9, at + 12, next - 1]) {
      const dir = join(root, `flip-${pos}`);
      mkdirSync(dir, { recursive: true });
      const buf = Buffer.from(original);
      buf[pos] = buf[pos]! ^ 0x40;
      const path = join(dir, seg!);
      writeFileSync(path, buf);
      await assert.rejects(readBack(dir), expectCorruption(path, at), `flip at ${pos}`);
    }
  }
  assert.ok(lastSaveAt > 0);
});

test('damage in an earlier segment is corruption even at its very end', async (t) => {
  const root = tempRoot(t);
  const dir = join(root, 'wal');
  const wal = await WAL.create(dir, META, { segmentBytes: 1024 });
  for (let i = 1; i <= 40; i++) await wal.save({ term: 1, vote: 1n, commit: i - 1 }, [entry(i, 1, 'v'.repeat(60))]);
  await wal.close();
  const segs = segmentFiles(dir);
  assert.ok(segs.length >= 3);
  const first = join(dir, segs[0]!);
  const records = (await dumpWal(dir)).filter((r) => r.file === segs[0]);
  const lastAt = records.at(-1)!.offset;
  const copy = join(root, 'copy');
  mkdirSync(copy);
  for (const s of segs) copyFileSync(join(dir, s), join(copy, s));

  // Truncated mid-frame, as a torn write would look if it were allowed there.
  truncateSync(join(copy, segs[0]!), lastAt + 20);
  await assert.rejects(readBack(copy, { segmentBytes: 1024 }), expectCorruption(join(copy, segs[0]!), lastAt));

  // Its last byte flipped.
  const buf = readFileSync(first);
  buf[buf.length - 1] = buf[buf.length - 1]! ^ 1;
  writeFileSync(first, buf);
  await assert.rejects(readBack(dir, { segmentBytes: 1024 }), expectCorruption(first, lastAt));
});

test('a segment that does not continue the previous one’s checksum is corruption', async (t) => {
  const root = tempRoot(t);
  const dir = join(root, 'wal');
  const wal = await WAL.create(dir, META, { segmentBytes: 512 });
  for (let i = 1; i <= 20; i++) await wal.save(undefined, [entry(i, 1, 'w'.repeat(100))]);
  await wal.close();
  const segs = segmentFiles(dir);
  assert.ok(segs.length >= 3);
  // Replace the middle segment with the one after it: every frame is valid on its own.
  const second = join(dir, segs[1]!);
  copyFileSync(join(dir, segs[2]!), second);
  await assert.rejects(readBack(dir, { segmentBytes: 512 }), expectCorruption(second, 0));
});

test('an entry missing from the middle of the log is refused', async (t) => {
  const root = tempRoot(t);
  const dir = join(root, 'wal');
  const wal = await WAL.create(dir, META);
  await wal.save(undefined, [entry(1), entry(3)]);
  await wal.close();
  await assert.rejects(readBack(dir), /^WalGapError: wal: slice bounds out of range: entry index 3 after 1 in .* at offset \d+$/m);
});
