// Golden bytes for the WAL's on-disk format (src/wal/README.md). A change to the layout
// must show up here, deliberately, rather than strand existing data dirs.
//
// test/wal/fixtures/golden-wal/ is the WAL that buildGoldenWal() writes: three segments
// with metadata, entries of both types, an overwrite, hard states and a snapshot record.
// Regenerate after a deliberate format change with
//   WAL_GOLDEN_REWRITE=1 node scripts/run-tests.mjs golden-format

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WAL } from '../../src/wal/wal.js';
import { FrameWriter, CRC_FRAME_BYTES, STATE_FRAME_BYTES, entryFrameSize } from '../../src/wal/record-format.js';
import { dumpWal, formatWalDump } from '../../src/wal/wal-inspect.js';
import { EntryType } from '../../src/raft/types.js';
import { FIXTURES_DIR, entry, readBack, segmentFiles, summary, tempRoot } from './helpers.js';

const GOLDEN_DIR = join(FIXTURES_DIR, 'golden-wal');
const GOLDEN_SEGMENT_BYTES = 256;
const README = fileURLToPath(new URL('../../../src/wal/README.md', import.meta.url));

async function buildGoldenWal(dir: string): Promise<void> {
  const wal = await WAL.create(dir, new TextEncoder().encode('golden-member'), { segmentBytes: GOLDEN_SEGMENT_BYTES });
  await wal.save({ term: 1, vote: 0x8e9e05c52164694dn, commit: 0 }, [entry(1, 1, '', EntryType.Normal), entry(2, 1, 'conf', EntryType.ConfChange)]);
  await wal.save({ term: 1, vote: 0x8e9e05c52164694dn, commit: 2 }, [entry(3, 1, 'put foo bar'), entry(4, 1, 'put baz qux')]);
  await wal.save({ term: 2, vote: 0n, commit: 3 }, [entry(4, 2, 'put baz QUX'), entry(5, 2, 'x'.repeat(100))]);
  await wal.saveSnapshot({ index: 3, term: 1 });
  await wal.save({ term: 2, vote: 0n, commit: 5 }, [entry(6, 2, 'last')]);
  await wal.close();
}

test('the WAL written by a fixed sequence of calls is byte-identical to the golden fixture', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  await buildGoldenWal(dir);
  if (process.env.WAL_GOLDEN_REWRITE === '1') {
    rmSync(GOLDEN_DIR, { recursive: true, force: true });
    mkdirSync(GOLDEN_DIR, { recursive: true });
    for (const f of segmentFiles(dir)) cpSync(join(dir, f), join(GOLDEN_DIR, f));
  }
  assert.deepEqual(segmentFiles(dir), segmentFiles(GOLDEN_DIR));
  for (const f of segmentFiles(dir)) {
    assert.equal(readFileSync(join(dir, f)).toString('hex'), readFileSync(join(GOLDEN_DIR, f)).toString('hex'), f);
  }
});

test('the golden fixture reads back, and its dump is as recorded', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  cpSync(GOLDEN_DIR, dir, { recursive: true });
  const dump = formatWalDump(await dumpWal(dir));
  const dumpFile = join(FIXTURES_DIR, 'golden-wal.dump.txt');
  if (process.env.WAL_GOLDEN_REWRITE === '1') writeFileSync(dumpFile, dump + '\n');
  assert.equal(dump + '\n', readFileSync(dumpFile, 'utf8'));
  const c = await readBack(dir, { segmentBytes: GOLDEN_SEGMENT_BYTES });
  assert.equal(Buffer.from(c.metadata).toString(), 'golden-member');
  assert.deepEqual(c.hardState, { term: 2, vote: 0n, commit: 5 });
  assert.deepEqual(summary(c.entries), [
    [1, 1, ''],
    [2, 1, 'conf'],
    [3, 1, 'put foo bar'],
    [4, 2, 'put baz QUX'],
    [5, 2, 'x'.repeat(100)],
    [6, 2, 'last'],
  ]);
  const fromSnap = await readBack(dir, { segmentBytes: GOLDEN_SEGMENT_BYTES, fromSnapshot: { index: 3, term: 1 } });
  assert.deepEqual(fromSnap.entries.map((e) => e.index), [4, 5, 6]);
});

test("the README's worked example is what the encoder writes", () => {
  const text = readFileSync(README, 'utf8');
  const block = text.slice(text.indexOf('## Worked example'));
  const hex = [...block.matchAll(/^ *\d+ {2}((?:[0-9a-f]{2} ){7}[0-9a-f]{2})/gm)].map((m) => m[1]!.replaceAll(' ', '')).join('');
  assert.equal(hex.length, 96 * 2);
  const data = new TextEncoder().encode('put foo');
  const buf = Buffer.alloc(CRC_FRAME_BYTES + entryFrameSize({ term: 2, index: 7, type: EntryType.Normal, data }) + STATE_FRAME_BYTES, 0xee);
  const w = new FrameWriter(buf, 0);
  w.crcRecord(0x1234abcd);
  w.entry({ term: 2, index: 7, type: EntryType.Normal, data });
  w.state({ term: 2, vote: 0x8e9e05c52164694dn, commit: 7 });
  assert.equal(w.offset, buf.length);
  assert.equal(buf.toString('hex'), hex);
});
