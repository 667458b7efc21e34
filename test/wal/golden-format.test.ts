// Golden bytes for the WAL frame format (see src/wal/record-format.ts): a change to the
// on-disk layout must show up here, deliberately, rather than strand existing data dirs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameEncoder, RecordType, encodeCrc, encodeEntry, encodeHardState, frameSize } from '../../src/wal/record-format.js';
import { scanSegment } from '../../src/wal/segment-reader.js';
import { EntryType } from '../../src/raft/types.js';

// crc frame (16 bytes) | entry frame "put foo" at term 2 index 7 (40 bytes) | state frame (40 bytes)
const GOLDEN =
  '04000000' + '04' + '00' + '0000' + '85c837a5' + '00000000' +
  '18000000' + '02' + '04' + '0000' + '375692b0' + '0200000000000000' + '0700000000000000' + '00' + '70757420666f6f' + '00000000' +
  '18000000' + '03' + '04' + '0000' + 'd680a6bc' + '0200000000000000' + '4d696421c5059e8e' + '0700000000000000' + '00000000';

test('frames encode to the documented bytes', () => {
  const e = new FrameEncoder(0);
  e.add(RecordType.Crc, encodeCrc(0));
  e.add(RecordType.Entry, encodeEntry({ term: 2, index: 7, type: EntryType.Normal, data: new TextEncoder().encode('put foo') }));
  e.add(RecordType.State, encodeHardState({ term: 2, vote: 0x8e9e05c52164694dn, commit: 7 }));
  assert.equal(e.finish().toString('hex'), GOLDEN);
});

test('the golden bytes decode back, and frames are 8-byte aligned', () => {
  const scan = scanSegment('golden', Buffer.from(GOLDEN, 'hex'), 0, true);
  assert.deepEqual(scan.frames.map((f) => [f.type, f.offset]), [[RecordType.Crc, 0], [RecordType.Entry, 16], [RecordType.State, 56]]);
  assert.equal(scan.torn, false);
  assert.equal(frameSize(25), 40);
  assert.equal(frameSize(4), 16);
});
