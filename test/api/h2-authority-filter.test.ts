// The client port's :authority repair, at the byte level: what reaches the HTTP/2 server
// for a client that sends a URL as :authority (Go's gRPC dialing "http://host:port"), for
// one that sends a proper authority, and for bytes that arrive in any chunking.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { H2AuthorityFilter, repairedAuthority } from '../../src/api/h2-authority-filter.js';
import { HpackDecoder, encodeHeaderBlock } from '../../src/pkg/hpack.js';
import { CONNECTION_PREFACE, frame } from '../../src/pkg/h2-frame.js';


const SETTINGS = frame(0x4, 0, 0, Buffer.alloc(0));
const WINDOW_UPDATE = frame(0x8, 0, 0, Buffer.from([0, 0, 0x10, 0]));

function headers(streamId: number, authority: string, extra: [string, string][] = []): Buffer {
  const block = encodeHeaderBlock([[':method', 'POST'], [':scheme', 'http'], [':path', '/etcdserverpb.Maintenance/Status'], [':authority', authority], ['content-type', 'application/grpc'], ...extra]);
  return frame(0x1, 0x4, streamId, block);
}

interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

function parseFrames(bytes: Buffer): Frame[] {
  assert.deepEqual(bytes.subarray(0, 24), CONNECTION_PREFACE);
  const frames: Frame[] = [];
  let rest = bytes.subarray(24);
  while (rest.length > 0) {
    const len = rest.readUIntBE(0, 3);
    frames.push({ type: rest[3]!, flags: rest[4]!, streamId: rest.readUInt32BE(5), payload: rest.subarray(9, 9 + len) });
    rest = rest.subarray(9 + len);
  }
  return frames;
}

/** Header blocks as the server's decoder sees them, HEADERS + CONTINUATION joined. */
function decodedBlocks(frames: Frame[]): Map<string, string>[] {
  const decoder = new HpackDecoder();
  const blocks: Map<string, string>[] = [];
  let pending: Buffer[] = [];
  for (const f of frames) {
    if (f.type !== 0x1 && f.type !== 0x9) continue;
    pending.push(f.payload);
    if ((f.flags & 0x4) === 0) continue;
    const fields = new Map<string, string>();
    decoder.decode(Buffer.concat(pending), (n, v) => fields.set(n, v));
    blocks.push(fields);
    pending = [];
  }
  return blocks;
}

function run(chunks: Buffer[]): { out: Buffer; filter: H2AuthorityFilter } {
  const filter = new H2AuthorityFilter();
  return { out: Buffer.concat(chunks.map((c) => filter.write(c))), filter };
}

function byteByByte(bytes: Buffer): Buffer[] {
  return [...bytes].map((b) => Buffer.from([b]));
}

test('a URL given as :authority loses its scheme and path; a proper authority is kept', () => {
  assert.equal(repairedAuthority('http://127.0.0.1:2379'), '127.0.0.1:2379');
  assert.equal(repairedAuthority('https://[::1]:2379/'), '[::1]:2379');
  assert.equal(repairedAuthority('unix://localhost:1234/x'), 'localhost:1234');
  assert.equal(repairedAuthority('127.0.0.1:2379'), '127.0.0.1:2379');
  assert.equal(repairedAuthority('etcd.local'), 'etcd.local');
});

test('a connection whose first block carries a proper authority reaches the server byte for byte', () => {
  const input = Buffer.concat([CONNECTION_PREFACE, SETTINGS, WINDOW_UPDATE, headers(1, '127.0.0.1:2379'), frame(0x0, 0x1, 1, Buffer.from('data')), headers(3, 'http://later:1')]);
  const { out, filter } = run([input]);
  assert.deepEqual(out, input);
  assert.equal(filter.repairing, false);
});

test('every header block of a connection that sent a URL authority is repaired, the rest passes unchanged', () => {
  const input = Buffer.concat([
    CONNECTION_PREFACE,
    SETTINGS,
    WINDOW_UPDATE,
    headers(1, 'http://127.0.0.1:2379', [['grpc-timeout', '4999m']]),
    frame(0x0, 0x1, 1, Buffer.from('request one')),
    headers(3, 'http://127.0.0.1:2379', [['token', 'abc']]),
    frame(0x0, 0x1, 3, Buffer.from('request two')),
  ]);
  for (const chunks of [[input], byteByByte(input)]) {
    const { out, filter } = run(chunks);
    assert.equal(filter.repairing, true);
    const frames = parseFrames(out);
    assert.deepEqual(frames.map((f) => [f.type, f.streamId]), [[4, 0], [8, 0], [1, 1], [0, 1], [1, 3], [0, 3]]);
    const blocks = decodedBlocks(frames);
    assert.deepEqual(blocks.map((b) => b.get(':authority')), ['127.0.0.1:2379', '127.0.0.1:2379']);
    assert.equal(blocks[0]!.get('grpc-timeout'), '4999m');
    assert.equal(blocks[1]!.get('token'), 'abc');
    assert.equal(blocks[1]!.get(':path'), '/etcdserverpb.Maintenance/Status');
    assert.deepEqual(frames[3]!.payload, Buffer.from('request one'));
    assert.equal(frames[2]!.flags, 0x4, 'END_HEADERS, and END_STREAM only if the client set it');
  }
});

test('blocks split over CONTINUATION frames, padded and with priority, are repaired whole', () => {
  const block = encodeHeaderBlock([[':method', 'POST'], [':authority', 'http://h:1'], [':path', '/x'], ['big', 'v'.repeat(20_000)]]);
  const padded = Buffer.concat([Buffer.from([3]), Buffer.from([0, 0, 0, 0, 16]), block.subarray(0, 100), Buffer.alloc(3)]);
  const input = Buffer.concat([CONNECTION_PREFACE, frame(0x1, 0x8 | 0x20 | 0x1, 5, padded), frame(0x9, 0, 5, block.subarray(100, 10_000)), frame(0x9, 0x4, 5, block.subarray(10_000))]);
  const frames = parseFrames(run(byteByByte(input)).out);
  assert.deepEqual(frames.map((f) => f.type), [1, 9]);
  assert.ok(frames.every((f) => f.payload.length <= 16_384));
  assert.equal(frames[0]!.flags, 0x20 | 0x1, 'priority and END_STREAM kept, padding dropped, END_HEADERS on the last frame');
  assert.deepEqual(frames[0]!.payload.subarray(0, 5), Buffer.from([0, 0, 0, 0, 16]));
  const joined = [{ ...frames[0]!, payload: frames[0]!.payload.subarray(5) }, frames[1]!];
  const [fields] = decodedBlocks(joined);
  assert.equal(fields!.get(':authority'), 'h:1');
  assert.equal(fields!.get('big')!.length, 20_000);
});
