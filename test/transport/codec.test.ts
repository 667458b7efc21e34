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
