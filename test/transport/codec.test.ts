import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, frameMessage, FrameReader } from '../../src/transport/message-codec.js';
import { Backoff } from '../../src/transport/backoff.js';
import { EntryType, MessageType, type Message } from '../../src/raft/types.js';

const bigId = 0xfedcba9876543210n; // above 2^53: must survive the wire exactly

function sample(): Message {
  return {
    type: MessageType.App,
    to: bigId,
    from: 2n,
    term: 7,
    logTerm: 6,
    index: 41,
    commit: 40,
    reject: true,
    rejectHint: 39,
    context: Uint8Array.of(1, 2, 3),
    entries: [
      { term: 7, index: 42, type: EntryType.Normal, data: Uint8Array.of(9, 9) },
      { term: 7, index: 43, type: EntryType.ConfChange, data: new Uint8Array(0) },
    ],
    snapshot: {
      data: Uint8Array.of(5),
      metadata: { index: 30, term: 5, confState: { voters: [1n, bigId], learners: [3n] } },
    },
  };
}

test('a raft message round-trips through the codec, including ids above 2^53 and a snapshot', () => {
  assert.deepEqual(decodeMessage(encodeMessage(sample())), sample());
  const plain: Message = { ...sample(), snapshot: undefined, entries: [] };
  delete plain.snapshot;
  assert.deepEqual(decodeMessage(encodeMessage(plain)), plain);
});

test('a truncated or padded message is refused', () => {
  const buf = encodeMessage(sample());
  assert.throws(() => decodeMessage(buf.subarray(0, buf.length - 1)), /truncated/);
  const padded = new Uint8Array(buf.length + 1);
  padded.set(buf);
  assert.throws(() => decodeMessage(padded), /trailing/);
});

test('the frame reader cuts messages out of arbitrary chunks', () => {
  const a = sample();
  const b: Message = { ...sample(), type: MessageType.Heartbeat, term: 8 };
  const stream = new Uint8Array([...frameMessage(a), ...frameMessage(b)]);
  for (const size of [1, 3, 17, stream.length]) {
    const reader = new FrameReader();
    const got: Message[] = [];
    for (let off = 0; off < stream.length; off += size) got.push(...reader.push(stream.subarray(off, off + size)));
    assert.deepEqual(got, [a, b], `chunk size ${size}`);
    assert.equal(reader.buffered, 0);
  }
});

test('reconnect backoff doubles up to its cap and starts over after a success', () => {
  const b = new Backoff(100, 500);
  assert.deepEqual([b.nextDelay(), b.nextDelay(), b.nextDelay(), b.nextDelay(), b.nextDelay()], [100, 200, 400, 500, 500]);
  b.reset();
  assert.equal(b.nextDelay(), 100);
});

// Bytes written by the first version of the codec: members of different builds share a
// cluster during a rolling upgrade, so the encoding must not drift.
test('the wire bytes of a message stay those of earlier builds', () => {
  const full: Message = {
    type: MessageType.App,
    to: bigId,
    from: 2n,
    term: 7,
    logTerm: 6,
    index: 2 ** 40 + 5,
    commit: 40,
    reject: true,
    rejectHint: 39,
    context: Uint8Array.of(1, 2, 3),
    entries: [{ term: 7, index: 42, type: EntryType.ConfChange, data: Uint8Array.of(9, 9) }],
    snapshot: { data: Uint8Array.of(5), metadata: { index: 30, term: 5, confState: { voters: [1n], learners: [3n] } } },
  };
  const heartbeat: Message = { type: MessageType.Heartbeat, to: 1n, from: 2n, term: 3, logTerm: 0, index: 0, commit: 9, reject: false, rejectHint: 0, context: new Uint8Array(0), entries: [] };
  assert.equal(
    Buffer.from(frameMessage(full)).toString('hex'),
    '000000a203fedcba987654321000000000000000020000000000000007000000000000000600000100000000050000000000000028010000000000000027000000000000000301020300000000000000010000000000000007000000000000002a010000000000000002090901000000000000000105000000000000001e00000000000000050000000000000001000000000000000100000000000000010000000000000003',
  );
  assert.equal(
    Buffer.from(frameMessage(heartbeat)).toString('hex'),
    '0000004b080000000000000001000000000000000200000000000000030000000000000000000000000000000000000000000000090000000000000000000000000000000000000000000000000000',
  );
  assert.deepEqual(decodeMessage(encodeMessage(full)), full);
});

test('messages read out of a socket Buffer come back as plain byte arrays the chunk does not share', () => {
  const chunk = Buffer.from(frameMessage(sample()));
  const [got] = new FrameReader().push(chunk);
  assert.deepEqual(got, sample());
  chunk.fill(0);
  assert.deepEqual(got!.entries[0]!.data, Uint8Array.of(9, 9), 'entry data is a copy');
});

test('a number field above 2^53 is refused rather than rounded', () => {
  const buf = encodeMessage({ ...sample(), snapshot: undefined });
  // term is the fourth field: after type (1 byte), to and from (8 each).
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  view.setUint32(17, 0x200000);
  assert.throws(() => decodeMessage(buf), /out of range/);
  view.setUint32(17, 0x1fffff);
  view.setUint32(21, 0xffffffff);
  assert.equal(decodeMessage(buf).term, Number.MAX_SAFE_INTEGER);
});
