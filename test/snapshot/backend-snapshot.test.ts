// The Snapshot rpc's pieces: fixed-size blobs whatever sizes the copy is read in,
// remaining bytes counting down to zero, then the SHA-256 of all of them; a copy that
// ends short is an error, never a shorter snapshot with a matching digest.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { snapshotPieces, type SnapshotPiece } from '../../src/server/backend-snapshot.js';

function bytes(n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (i * 7) % 251));
}

async function collect(chunks: Buffer[], size: number, pieceBytes: number): Promise<SnapshotPiece[]> {
  const out: SnapshotPiece[] = [];
  for await (const p of snapshotPieces({ stream: Readable.from(chunks), size }, pieceBytes)) out.push(p);
  return out;
}

test('pieces are cut at the piece size, count down, and end with the digest', async () => {
  const data = bytes(2500);
  // Read in uneven chunks, as a file stream may deliver them.
  const pieces = await collect([data.subarray(0, 700), data.subarray(700, 710), data.subarray(710)], data.length, 1000);
  assert.deepEqual(
    pieces.slice(0, -1).map((p) => [p.blob.length, p.remainingBytes]),
    [
      [1000, 1500],
      [1000, 500],
      [500, 0],
    ],
  );
  assert.ok(Buffer.concat(pieces.slice(0, -1).map((p) => p.blob)).equals(data));
  const last = pieces[pieces.length - 1]!;
  assert.equal(last.remainingBytes, 0);
  assert.ok(last.blob.equals(createHash('sha256').update(data).digest()));
});

test('a size that is a multiple of the piece size ends with a full piece at zero remaining', async () => {
  const data = bytes(2000);
  const pieces = await collect([data], data.length, 1000);
  assert.deepEqual(pieces.map((p) => p.remainingBytes), [1000, 0, 0]);
  assert.equal(pieces[2]!.blob.length, 32);
});

test('a copy shorter than announced fails instead of ending with a digest', async () => {
  const data = bytes(1500);
  await assert.rejects(collect([data], 2000, 1000), /ended after 1500 of 2000 bytes/);
});
