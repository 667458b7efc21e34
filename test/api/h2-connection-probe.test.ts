// The client port's probe that decides, before a session exists, whether an HTTP/2
// connection goes to Node's HTTP/2 as the raw socket or through the :authority repair:
// the verdict, the bytes handed on (the ACK of the probe's own SETTINGS removed, all else
// in order), and any chunking of the client's bytes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY_SETTINGS_FRAME, H2ConnectionProbe, type ProbeResult } from '../../src/api/h2-connection-probe.js';
import { encodeHeaderBlock } from '../../src/pkg/hpack.js';
import { CONNECTION_PREFACE, frame } from '../../src/pkg/h2-frame.js';


const SETTINGS = frame(0x4, 0, 0, Buffer.from([0, 4, 0, 0, 0xff, 0xff]));
const SETTINGS_ACK = frame(0x4, 0x1, 0, Buffer.alloc(0));
const PING = frame(0x6, 0, 0, Buffer.alloc(8));

function headers(authority: string): Buffer {
  const block = encodeHeaderBlock([[':method', 'POST'], [':scheme', 'http'], [':path', '/etcdserverpb.KV/Range'], [':authority', authority], ['content-type', 'application/grpc']]);
  return frame(0x1, 0x4, 1, block);
}

/** Feeds `bytes` in chunks of `size`; returns the result and how often SETTINGS was sent. */
function run(bytes: Buffer, size: number): { result: ProbeResult | undefined; settingsSent: number } {
  const probe = new H2ConnectionProbe();
  let settingsSent = 0;
  for (let i = 0; i < bytes.length; i += size) {
    const result = probe.write(bytes.subarray(i, i + size), () => settingsSent++);
    if (result) {
      assert.equal(i + size >= bytes.length, true, 'no verdict before the last chunk');
      return { result, settingsSent };
    }
  }
  return { result: undefined, settingsSent };
}

test('a proper authority goes raw, with the ACK of the probe SETTINGS removed, in any chunking', () => {
  const sent = Buffer.concat([CONNECTION_PREFACE, SETTINGS, headers('127.0.0.1:2379'), SETTINGS_ACK]);
  const expected = Buffer.concat([CONNECTION_PREFACE, SETTINGS, headers('127.0.0.1:2379')]);
  for (const size of [1, 7, 24, 1000]) {
    const { result, settingsSent } = run(sent, size);
    assert.equal(settingsSent, 1);
    assert.equal(result?.verdict, 'raw');
    assert.deepEqual(result?.bytes, expected);
  }
  assert.equal(EMPTY_SETTINGS_FRAME.toString('hex'), '000000040000000000');
});

test('a URL as authority (Go gRPC dialing http://host:port) goes through the repair', () => {
  const { result } = run(Buffer.concat([CONNECTION_PREFACE, SETTINGS, SETTINGS_ACK, headers('http://127.0.0.1:2379')]), 5);
  assert.equal(result?.verdict, 'repair');
  assert.deepEqual(result?.bytes, Buffer.concat([CONNECTION_PREFACE, SETTINGS, headers('http://127.0.0.1:2379')]));
});

test('the probe waits for both the first header block and the ACK; only the first ACK is removed', () => {
  const probe = new H2ConnectionProbe();
  assert.equal(probe.write(Buffer.concat([CONNECTION_PREFACE, SETTINGS, headers('h:1')]), () => undefined), undefined);
  assert.equal(probe.awaitingAck, true);
  const result = probe.write(Buffer.concat([SETTINGS_ACK, SETTINGS_ACK]), () => undefined);
  assert.equal(result?.verdict, 'raw');
  assert.deepEqual(result?.bytes, Buffer.concat([CONNECTION_PREFACE, SETTINGS, headers('h:1'), SETTINGS_ACK]));
});

test('a PING before any request, or bytes that are not a preface, go through the repairing stream', () => {
  assert.equal(run(Buffer.concat([CONNECTION_PREFACE, SETTINGS, PING, SETTINGS_ACK]), 100).result?.verdict, 'repair');
  const notH2 = Buffer.from('PRI * HTTP/1.1\r\nHost: x\r\n\r\n');
  const { result, settingsSent } = run(notH2, 100);
  assert.equal(settingsSent, 0);
  assert.equal(result?.verdict, 'repair');
  assert.deepEqual(result?.bytes, notH2);
});
