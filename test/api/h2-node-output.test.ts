// The scan of node's HTTP/2 output on a connection the front end shares (src/api/h2-node-output.ts):
// whatever the chunking of node's writes, the bytes reach the socket whole and in order, node's
// DATA never goes past the window, a GOAWAY names the front end's streams, and the scan knows
// when node's output stopped inside a frame.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeOutput } from '../../src/api/h2-node-output.js';
import { frame, FrameType, Flag } from '../../src/pkg/h2-frame.js';

function goaway(lastStreamId: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(lastStreamId, 0);
  return frame(FrameType.GOAWAY, 0, 0, p);
}

function rig(window: number) {
  const sent: Buffer[] = [];
  const ended: number[] = [];
  const state = { window, goawayAsked: -1 };
  const out = new NodeOutput({
    sendWindow: () => state.window,
    spendWindow: (n) => {
      state.window -= n;
    },
    goaway: (last) => {
      state.goawayAsked = last;
      return Math.max(last, 41);
    },
    settings: () => {},
    streamEnded: (id) => ended.push(id),
    out: (bytes, written) => {
      sent.push(Buffer.from(bytes));
      written?.();
    },
  });
  return { out, sent, ended, state };
}

test('node\'s bytes reach the socket whole and in order however its writes are cut', () => {
  const stream = Buffer.concat([
    frame(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.from('headers-block')),
    frame(FrameType.DATA, 0, 1, Buffer.alloc(3000, 7)),
    frame(FrameType.DATA, Flag.END_STREAM, 1, Buffer.alloc(10, 8)),
    frame(FrameType.PING, 0, 0, Buffer.alloc(8, 1)),
  ]);
  for (const cut of [1, 5, 9, 10, 17, 100, 1024, stream.length]) {
    const { out, sent, ended } = rig(1 << 20);
    let done = 0;
    for (let i = 0; i < stream.length; i += cut) {
      out.write(stream.subarray(i, i + cut), [() => done++]);
      const end = Math.min(stream.length, i + cut);
      // The scan is between frames exactly when the bytes so far end one.
      const boundaries = [0, 22, 22 + 3009, 22 + 3009 + 19, stream.length];
      assert.equal(out.midFrame, !boundaries.includes(end), `cut ${cut} at ${end}`);
    }
    assert.deepEqual(Buffer.concat(sent), stream, `cut ${cut}`);
    assert.equal(done, Math.ceil(stream.length / cut));
    assert.deepEqual(ended, [1]);
  }
});

test('node\'s DATA past the window waits, with its write callback, until the window grows', () => {
  const { out, sent, state } = rig(1000);
  const data = frame(FrameType.DATA, 0, 3, Buffer.alloc(1500, 1));
  const ping = frame(FrameType.PING, 0, 0, Buffer.alloc(8));
  let done = 0;
  out.write(Buffer.concat([ping, data]), [() => done++]);
  assert.deepEqual(Buffer.concat(sent), ping, 'what precedes the DATA goes');
  assert.equal(done, 0);
  assert.equal(out.waiting, true);
  assert.equal(out.midFrame, false, 'held at a frame boundary: other frames may go');
  out.release();
  assert.equal(out.waiting, true, 'still too small');
  state.window = 1500;
  out.release();
  assert.deepEqual(Buffer.concat(sent), Buffer.concat([ping, data]));
  assert.equal(done, 1);
  assert.equal(state.window, 0);
});

test('a GOAWAY names the highest stream either side took, even cut in two', () => {
  const { out, sent, state } = rig(1 << 20);
  const g = goaway(7);
  out.write(g.subarray(0, 11), [() => {}]);
  assert.equal(sent.length, 0, 'waits for the whole frame');
  out.write(g.subarray(11), [() => {}]);
  assert.equal(state.goawayAsked, 7);
  assert.equal(Buffer.concat(sent).readUInt32BE(9), 41);
});
