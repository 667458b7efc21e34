// The benchmark's own gRPC-over-HTTP/2 client: framing, HPACK, many streams on one connection,
// flow control, and errors worded as etcd's clientv3 words them. The fake servers are
// node:http2 (nghttp2), an independent HTTP/2 implementation whose encoder uses HPACK's dynamic
// table and Huffman coding; the last tests talk to real etcd 3.4.23.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BidiCall, GrpcCallError, H2Conn, METHODS, MessageReader, errorText, frameMessage } from '../../src/benchmark/h2-grpc.js';
import { HpackDecoder, encodeHeaderBlock, huffmanDecode } from '../../src/pkg/hpack.js';
import { encodePut, encodeRange, encodeRequestOp, encodeTxn } from '../../src/benchmark/wire.js';
import { PutResponse, RangeResponse } from '../../src/gen/etcdserverpb/rpc.js';
import { removeDir, startMember, stopMember } from '../helpers/processes.js';

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer) => void;

/** A node:http2 server that hands each request's whole body to `handle`. */
async function fakeServer(handle: Handler, settings: http2.Settings = {}): Promise<{ endpoint: string; server: http2.Http2Server; close: () => Promise<void> }> {
  const server = http2.createServer({ settings });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => handle(stream, headers, Buffer.concat(chunks)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Answers like a gRPC server: headers, one message, trailers with grpc-status 0. */
function replyOk(stream: http2.ServerHttp2Stream, msg: Buffer): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(frameMessage(msg));
}

/** A trailers-only error response, as gRPC servers send errors. */
function replyError(stream: http2.ServerHttp2Stream, code: number, message: string): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': encodeURIComponent(message) }, { endStream: true });
}

/** The messages in a gRPC-framed body. */
function messages(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  new MessageReader().push(body, (m) => out.push(Buffer.from(m)));
  return out;
}

function callErr(c: H2Conn, method: string, req: Buffer): Promise<GrpcCallError> {
  return c.unaryP(method, req).then(
    () => assert.fail('the call was expected to fail'),
    (err: unknown) => {
      assert.ok(err instanceof GrpcCallError, `expected a GrpcCallError, got ${String(err)}`);
      return err;
    },
  );
}

test('frameMessage prefixes the length; MessageReader splits messages cut at every possible byte', () => {
  const msgs = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(300, 7), Buffer.from('last')];
  const framed = Buffer.concat(msgs.map(frameMessage));
  assert.deepEqual([...framed.subarray(0, 6)], [0, 0, 0, 0, 1, 0x61]);
  for (let cut1 = 0; cut1 <= framed.length; cut1++) {
    for (const cut2 of [cut1, Math.min(framed.length, cut1 + 3), framed.length]) {
      const r = new MessageReader();
      const got: Buffer[] = [];
      for (const part of [framed.subarray(0, cut1), framed.subarray(cut1, cut2), framed.subarray(cut2)]) r.push(part, (m) => got.push(Buffer.from(m)));
      assert.deepEqual(got, msgs, `cuts at ${cut1}/${cut2}`);
      assert.equal(r.hasPartial, false);
    }
  }
  assert.throws(() => new MessageReader().push(Buffer.from([1, 0, 0, 0, 0]), () => {}), /compressed/);
});

test('HPACK: decodes RFC 7541 C.4 (Huffman, dynamic table) and reads back its own blocks', () => {
  const d = new HpackDecoder();
  const blocks = ['828684418cf1e3c2e5f23a6ba0ab90f4ff', '828684be5886a8eb10649cbf', '828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf'];
  const seen: [string, string][][] = [];
  for (const hex of blocks) {
    const fields: [string, string][] = [];
    d.decode(Buffer.from(hex, 'hex'), (n, v) => fields.push([n, v]));
    seen.push(fields);
  }
  assert.deepEqual(seen[2], [
    [':method', 'GET'],
    [':scheme', 'https'],
    [':path', '/index.html'],
    [':authority', 'www.example.com'],
    ['custom-key', 'custom-value'],
  ]);
  assert.deepEqual(seen[1]!.at(-1), ['cache-control', 'no-cache']);
  assert.equal(huffmanDecode(Buffer.from('f1e3c2e5f23a6ba0ab90f4ff', 'hex')), 'www.example.com');
  assert.throws(() => huffmanDecode(Buffer.from([0xf1, 0x00])), /Huffman/);

  const ours: [string, string][] = [
    [':method', 'POST'],
    [':path', '/etcdserverpb.KV/Put'],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
  ];
  const back: [string, string][] = [];
  new HpackDecoder().decode(encodeHeaderBlock(ours), (n, v) => back.push([n, v]));
  assert.deepEqual(back, ours);
});

test('one connection carries hundreds of concurrent calls, each answered with its own response', async () => {
  let maxInFlight = 0;
  let inFlight = 0;
  const srv = await fakeServer((stream, headers, body) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    assert.equal(headers[':path'], METHODS.put);
    assert.equal(headers['content-type'], 'application/grpc');
    assert.equal(headers.te, 'trailers');
    const [req] = messages(body);
    // Answer out of order: later requests may finish first.
    setImmediate(() => {
      inFlight--;
      replyOk(stream, Buffer.concat([Buffer.from('re:'), req!]));
    });
  });
  const c = new H2Conn(srv.endpoint);
  try {
    await c.waitConnected(5000);
    const n = 500;
    const got = await Promise.all(Array.from({ length: n }, (_, i) => c.unaryP(METHODS.put, Buffer.from(`req-${i}`))));
    assert.deepEqual(
      got.map((b) => b.toString()),
      Array.from({ length: n }, (_, i) => `re:req-${i}`),
    );
    assert.ok(maxInFlight > 1, 'calls were in flight together on the one connection');
  } finally {
    c.destroy();
    await srv.close();
  }
});

test("calls beyond the server's concurrent-stream limit wait for a slot instead of failing", async () => {
  const srv = await fakeServer((stream, _h, body) => setImmediate(() => replyOk(stream, messages(body)[0]!)), { maxConcurrentStreams: 2 });
  const c = new H2Conn(srv.endpoint);
  try {
    await c.waitConnected(5000);
    const got = await Promise.all(Array.from({ length: 30 }, (_, i) => c.unaryP(METHODS.range, Buffer.from([i]))));
    assert.deepEqual(
      got.map((b) => b[0]),
      Array.from({ length: 30 }, (_, i) => i),
    );
  } finally {
    c.destroy();
    await srv.close();
  }
});

test('large messages cross frame and flow-control window limits both ways', async () => {
  const srv = await fakeServer((stream, _h, body) => {
    const [req] = messages(body);
    replyOk(stream, Buffer.concat([req!, req!]));
  }, { initialWindowSize: 1024 });
  const c = new H2Conn(srv.endpoint);
  try {
    await c.waitConnected(5000);
    // 100 KB up and 200 KB down exceed the 16 KB frame size, the server's 1 KB stream window
    // and the 64 KB initial connection windows.
    const big = Buffer.alloc(100_000);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    const res = await Promise.all([c.unaryP(METHODS.put, big), c.unaryP(METHODS.put, big)]);
    for (const r of res) assert.ok(r.equals(Buffer.concat([big, big])));
  } finally {
    c.destroy();
    await srv.close();
  }
});

test("errors carry the gRPC code and read as clientv3's err.Error(): etcd's message bare, others as the status", async () => {
  const srv = await fakeServer((stream, headers) => {
    const path = String(headers[':path']);
    if (path.endsWith('/LeaseKeepAlive')) return replyError(stream, 5, 'etcdserver: requested lease not found');
    if (path.endsWith('/Txn')) {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '3', 'grpc-message': 'bad request: 100% wrong' }));
      return stream.end();
    }
    if (path.endsWith('/Range')) return stream.close(http2.constants.NGHTTP2_CANCEL);
    if (path.endsWith('/Status')) {
      stream.respond({ ':status': 503 }, { endStream: true });
      return;
    }
    stream.session!.destroy();
  });
  const c = new H2Conn(srv.endpoint);
  try {
    await c.waitConnected(5000);
    const notFound = await callErr(c, METHODS.leaseKeepAlive, Buffer.alloc(0));
    assert.equal(notFound.code, 5);
    assert.equal(errorText(notFound), 'etcdserver: requested lease not found');

    const invalid = await callErr(c, METHODS.txn, Buffer.alloc(0));
    assert.equal(invalid.code, 3);
    assert.equal(errorText(invalid), 'rpc error: code = InvalidArgument desc = bad request: 100% wrong');

    const cancelled = await callErr(c, METHODS.range, Buffer.alloc(0));
    assert.equal(cancelled.code, 1);
    assert.match(errorText(cancelled), /^rpc error: code = Canceled desc = /);

    const http = await callErr(c, METHODS.status, Buffer.alloc(0));
    assert.equal(http.code, 2);
    assert.equal(errorText(http), 'rpc error: code = Unknown desc = unexpected HTTP status code received from server: 503');

    // The server drops the connection mid-call: that call and every later one are Unavailable.
    const dropped = await callErr(c, METHODS.put, Buffer.alloc(0));
    assert.equal(dropped.code, 14);
    const after = await callErr(c, METHODS.put, Buffer.alloc(0));
    assert.equal(after.code, 14);
  } finally {
    c.destroy();
    await srv.close();
  }
});

test('dialing a port nobody listens on fails with Unavailable', async () => {
  const srv = await fakeServer(() => {});
  const endpoint = srv.endpoint;
  await srv.close();
  const c = new H2Conn(endpoint);
  await assert.rejects(c.waitConnected(5000), (err: unknown) => err instanceof GrpcCallError && err.code === 14);
  c.destroy();
});

test('a bidirectional call delivers every message in order, then the end; cancel() stops it quietly', async () => {
  const srv = await fakeServer(() => {});
  srv.server.removeAllListeners('stream');
  srv.server.on('stream', (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    const r = new MessageReader();
    // Echo every message twice; the client's half-close ends the call.
    stream.on('data', (c: Buffer) => r.push(c, (m) => stream.write(Buffer.concat([frameMessage(m), frameMessage(m)]))));
    stream.on('end', () => stream.end());
  });
  const c = new H2Conn(srv.endpoint);
  try {
    await c.waitConnected(5000);
    const call: BidiCall = c.bidi(METHODS.watch);
    const got: string[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      call.on('data', (m: Buffer) => got.push(m.toString()));
      call.on('end', resolve);
      call.on('error', reject);
    });
    for (let i = 0; i < 50; i++) call.write(Buffer.from(`m${i}`));
    call.end();
    await ended;
    assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => [`m${i}`, `m${i}`]).flat());

    const quiet = c.bidi(METHODS.watch);
    let heard = 0;
    quiet.on('error', () => heard++);
    quiet.on('end', () => heard++);
    quiet.write(Buffer.from('x'));
    await new Promise<void>((resolve) => quiet.once('data', () => resolve()));
    quiet.cancel();
    // A later call on the same connection still works, so the reset went out and was handled.
    const probe = c.bidi(METHODS.watch);
    probe.write(Buffer.from('probe'));
    await new Promise<void>((resolve) => probe.once('data', () => resolve()));
    probe.cancel();
    assert.equal(heard, 0);
  } finally {
    c.destroy();
    await srv.close();
  }
});

test('against real etcd 3.4.23: put, range and the error etcd answers for an oversized txn', async () => {
  const m = await startMember('real');
  const c = new H2Conn(m.endpoint);
  try {
    await c.waitConnected(10_000);
    const puts = await Promise.all(Array.from({ length: 20 }, (_, i) => c.unaryP(METHODS.put, encodePut(Buffer.from(`k${i}`), Buffer.from(`v${i}`)))));
    const revs = puts.map((b) => Number(PutResponse.decode(b).header!.revision)).sort((a, b) => a - b);
    assert.deepEqual(revs, Array.from({ length: 20 }, (_, i) => i + 2));
    const range = RangeResponse.decode(await c.unaryP(METHODS.range, encodeRange(Buffer.from('k'), { end: Buffer.from('l') })));
    assert.equal(Number(range.count), 20);
    assert.equal(Buffer.from(range.kvs[0]!.value).toString(), 'v0');

    const ops = Array.from({ length: 129 }, (_, i) => encodeRequestOp('put', encodePut(Buffer.from(`t${i}`), Buffer.from('v'))));
    const tooMany = await callErr(c, METHODS.txn, encodeTxn(ops));
    assert.equal(tooMany.code, 3);
    assert.equal(errorText(tooMany), 'etcdserver: too many operations in txn request');
    const unknown = await callErr(c, '/etcdserverpb.KV/NoSuchMethod', Buffer.alloc(0));
    assert.equal(unknown.code, 12);
    assert.equal(errorText(unknown), 'rpc error: code = Unimplemented desc = unknown method NoSuchMethod for service etcdserverpb.KV');
  } finally {
    c.destroy();
    await stopMember(m);
    removeDir(join(m.dataDir, '..'));
  }
});
