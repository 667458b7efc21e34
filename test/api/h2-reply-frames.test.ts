// Which outgoing HTTP/2 bytes end with a reply still waiting for its trailers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyFrameScanner } from '../../src/api/h2-reply-frames.js';
import { frame as encodeFrame } from '../../src/pkg/h2-frame.js';

function frame(type: number, flags: number, stream: number, payloadBytes: number): Buffer {
  return encodeFrame(type, flags, stream, Buffer.alloc(payloadBytes, 0xab));
}
const HEADERS = 0x1;
const DATA = 0x0;
const RST = 0x3;
const SETTINGS = 0x4;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;

test('a unary reply waits for its trailers, then is complete', () => {
  const s = new ReplyFrameScanner();
  s.scan(Buffer.concat([frame(HEADERS, END_HEADERS, 1, 12), frame(DATA, 0, 1, 33)]));
  assert.equal(s.awaitingTrailers, true);
  s.scan(frame(HEADERS, END_HEADERS | END_STREAM, 1, 2));
  assert.equal(s.awaitingTrailers, false);
});

test('frames split at any byte are followed the same', () => {
  const bytes = Buffer.concat([frame(SETTINGS, 0, 0, 6), frame(HEADERS, END_HEADERS, 3, 20), frame(DATA, 0, 3, 40)]);
  for (let cut = 1; cut < bytes.length; cut++) {
    const s = new ReplyFrameScanner();
    s.scan(bytes.subarray(0, cut));
    if (cut < bytes.length) assert.equal(s.awaitingTrailers, false, `partial at ${cut}`);
    s.scan(bytes.subarray(cut));
    assert.equal(s.awaitingTrailers, true, `cut at ${cut}`);
  }
});

test('a DATA frame that ends its stream, or a reset stream, waits for nothing', () => {
  const s = new ReplyFrameScanner();
  s.scan(Buffer.concat([frame(HEADERS, END_HEADERS, 5, 10), frame(DATA, END_STREAM, 5, 8)]));
  assert.equal(s.awaitingTrailers, false);
  s.scan(Buffer.concat([frame(HEADERS, END_HEADERS, 7, 10), frame(DATA, 0, 7, 8), frame(RST, 0, 7, 4)]));
  assert.equal(s.awaitingTrailers, false);
});

test('a stream whose headers went out before the last release (a watch) is not held', () => {
  const s = new ReplyFrameScanner();
  s.scan(Buffer.concat([frame(HEADERS, END_HEADERS, 9, 10), frame(DATA, 0, 9, 8)]));
  assert.equal(s.awaitingTrailers, true, 'the first reply of a stream may be held');
  s.release();
  s.scan(frame(DATA, 0, 9, 30));
  assert.equal(s.awaitingTrailers, false, 'a later event of the same stream is not');
});

test('DATA of a request-side stream the server never answered with headers is not held', () => {
  const s = new ReplyFrameScanner();
  s.scan(frame(DATA, 0, 2, 16));
  assert.equal(s.awaitingTrailers, false);
});
