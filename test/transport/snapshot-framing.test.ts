// The snapshot transfer's body: the message, the db bytes and their digest survive any
// chunking, and a truncated, damaged or padded body is refused; received dbs get etcd's
// file name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MessageType, type Message } from '../../src/raft/types.js';
import { encodeMessage } from '../../src/transport/message-codec.js';
import { parseSnapshotDbFileName, SnapshotBodyParser, snapshotBodyHead, snapshotDbFileName, SnapshotDigest } from '../../src/transport/snapshot-framing.js';

function snapMessage(index: number): Message {
  return {
    type: MessageType.Snap, to: 2n, from: 0xdc210cb72d43bc2an, term: 3, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, context: new Uint8Array(),
    snapshot: { data: new TextEncoder().encode('[{"id":"1"}]'), metadata: { index, term: 3, confState: { voters: [1n, 2n, 0xdc210cb72d43bc2an], learners: [4n] } } },
  };
}

function body(m: Message, db: Buffer): Buffer {
  const d = new SnapshotDigest();
  d.update(db);
  return Buffer.concat([snapshotBodyHead(m, db.length), db, d.tail()]);
}

function parse(whole: Buffer, chunk: number): { message: Message | undefined; dbSize: number; db: Buffer } {
  const p = new SnapshotBodyParser();
  let message: Message | undefined;
  let dbSize = -1;
  const parts: Buffer[] = [];
  for (let off = 0; off < whole.length; off += chunk) {
    for (const piece of p.push(whole.subarray(off, off + chunk))) {
      if (piece.kind === 'message') {
        message = piece.message;
        dbSize = piece.dbSize;
      } else parts.push(Buffer.from(piece.bytes));
    }
  }
  p.end();
  return { message, dbSize, db: Buffer.concat(parts) };
}

test('a snapshot body parses back to the same message and db bytes, however it is chunked', () => {
  const m = snapMessage(263);
  const db = createHash('sha512').update('x').digest().subarray(0, 50);
  const whole = body(m, Buffer.concat([db, db, db]));
  for (const chunk of [1, 3, 7, 64, whole.length]) {
    const got = parse(whole, chunk);
    // Byte fields come back as Buffers: compare the encodings, and the metadata as values.
    assert.deepEqual(Buffer.from(encodeMessage(got.message!)), Buffer.from(encodeMessage(m)), `chunk ${chunk}`);
    assert.deepEqual(got.message!.snapshot!.metadata, m.snapshot!.metadata);
    assert.equal(got.dbSize, 150);
    assert.deepEqual(got.db, Buffer.concat([db, db, db]));
  }
});

test('an empty db is a valid body', () => {
  const got = parse(body(snapMessage(5), Buffer.alloc(0)), 2);
  assert.equal(got.dbSize, 0);
  assert.equal(got.db.length, 0);
});

test('a truncated, damaged or padded body is refused', () => {
  const whole = body(snapMessage(9), Buffer.from('0123456789abcdef'));
  assert.throws(() => parse(whole.subarray(0, 3), 2), /ended before the message/);
  assert.throws(() => parse(whole.subarray(0, whole.length - 40), 5), /db bytes short/);
  assert.throws(() => parse(whole.subarray(0, whole.length - 1), 5), /short/);
  const damaged = Buffer.from(whole);
  damaged[damaged.length - 40] ^= 0xff;
  assert.throws(() => parse(damaged, 4), /digest mismatch/);
  assert.throws(() => parse(Buffer.concat([whole, Buffer.from('!')]), 4), /after the digest/);
});

test('received dbs are named after the snapshot index as %016x.snap.db, as etcd names them', () => {
  assert.equal(snapshotDbFileName(263), '0000000000000107.snap.db');
  assert.equal(snapshotDbFileName(2 ** 40 + 1), '0000010000000001.snap.db');
  assert.equal(parseSnapshotDbFileName('0000000000000107.snap.db'), 263);
  assert.equal(parseSnapshotDbFileName('0000000000000002-0000000000000107.snap'), undefined);
  assert.equal(parseSnapshotDbFileName('db'), undefined);
});
