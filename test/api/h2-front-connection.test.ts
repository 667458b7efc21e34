// The client port's HTTP/2 front end (src/api/h2-front-connection.ts) between a real node
// HTTP/2 client and a real node HTTP/2 server: the calls it takes are answered by it, every
// other stream by node, on one connection, with header compression, flow control and
// GOAWAY kept right for both.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { H2FrontConnection, type OwnedCall, type OwnedCallTaker } from '../../src/api/h2-front-connection.js';
import { respondBlock, trailersBlock } from '../../src/api/h2-reply-blocks.js';
import { OwnedBidiStream } from '../../src/api/h2-owned-bidi-stream.js';
import { OK_TRAILERS, RESPONSE_HEADERS } from '../../src/api/grpc-fast-status.js';
import { encodeHeaderBlock } from '../../src/pkg/hpack.js';
import { CONNECTION_PREFACE, Flag, FrameType, frame as encodeFrame } from '../../src/pkg/h2-frame.js';

const OWNED_PATH = '/test.Owned/Call';
const BIDI_PATH = '/test.Owned/Stream';

/**
 * A bidi call on the front end's stream, driven as the watch and keep-alive fast paths drive
 * one: `x-writes` writes of 16 KiB when the first request chunk comes, OK trailers once the
 * client ends its side.
 */
class TestBidi {
  written = 0;
  readonly writes: number;
  ended = false;
  closed = false;

  constructor(readonly stream: OwnedBidiStream, headers: http2.IncomingHttpHeaders) {
    this.writes = Number(headers['x-writes'] ?? 0);
    stream.on('data', () => {
      if (this.ended) return;
      stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
      for (let i = 0; i < this.writes; i++) stream.write(pattern(16_384), () => this.written++);
    });
    stream.on('end', () => {
      this.ended = true;
      stream.end();
    });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': 0, 'grpc-message': 'OK' }));
    stream.on('close', () => (this.closed = true));
  }
}

/** A call the front end serves: it replies with `x-reply-bytes` bytes once the request ends. */
class TestCall implements OwnedCall {
  received = 0;
  readonly hash = createHash('sha256');
  reset = false;
  closed = false;

  constructor(
    private readonly conn: H2FrontConnection,
    private readonly id: number,
    readonly headers: http2.IncomingHttpHeaders,
    private readonly onReset: () => void,
  ) {}

  requestData(chunk: Buffer): void {
    this.received += chunk.length;
    this.hash.update(chunk);
  }

  requestEnd(): void {
    if (this.headers['x-hold'] !== undefined) return; // answers nothing: the client gives up
    if (this.headers['x-status-only'] !== undefined) {
      this.conn.sendTrailers(this.id, respondBlock({ ':status': 200, 'content-type': 'application/grpc+proto', 'grpc-status': 5, 'grpc-message': 'not%20found' }));
      return;
    }
    const size = Number(this.headers['x-reply-bytes'] ?? 0);
    const summary = Buffer.from(JSON.stringify({ received: this.received, sha: this.hash.digest('hex'), custom: this.headers['x-custom'] }));
    const message = Buffer.concat([summary, Buffer.from('\n'), pattern(size)]);
    this.conn.sendReply(this.id, respondBlock(RESPONSE_HEADERS), message, trailersBlock(OK_TRAILERS));
  }

  streamReset(): void {
    this.reset = true;
    this.onReset();
  }

  onStreamClose(): void {
    this.closed = true;
  }
}

/** `n` bytes of a repeating, position-dependent pattern (a cut or reordered reply shows). */
function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
  return b;
}

interface Rig {
  port: number;
  calls: TestCall[];
  bidis: TestBidi[];
  resets: Promise<void>[];
  serverSessions: http2.ServerHttp2Session[];
  close(): Promise<void>;
}

async function startRig(): Promise<Rig> {
  const calls: TestCall[] = [];
  const bidis: TestBidi[] = [];
  let resolveReset: () => void = () => {};
  const resets = [new Promise<void>((r) => (resolveReset = r))];
  const taker: OwnedCallTaker = {
    take(conn, id, headers) {
      if (headers[':path'] === BIDI_PATH) {
        const stream = new OwnedBidiStream(conn, id);
        bidis.push(new TestBidi(stream, headers));
        return stream;
      }
      if (headers[':path'] !== OWNED_PATH) return undefined;
      const call = new TestCall(conn, id, headers, () => resolveReset());
      calls.push(call);
      return call;
    },
  };
  const h2 = http2.createServer();
  const serverSessions: http2.ServerHttp2Session[] = [];
  h2.on('session', (s) => serverSessions.push(s));
  h2.on('stream', (stream, headers) => {
    const path = headers[':path'];
    if (path === '/node/download') {
      stream.respond({ ':status': 200, 'x-custom-seen': String(headers['x-custom']) });
      stream.end(pattern(Number(headers['x-bytes'])));
      return;
    }
    // /node/echo: the request body back, and the header it was sent with.
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'x-custom-seen': String(headers['x-custom']), 'x-authority-seen': String(headers[':authority']) });
      stream.end(Buffer.concat(chunks));
    });
  });
  const tcp = net.createServer((socket) => {
    h2.emit('connection', new H2FrontConnection(socket, taker));
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  return {
    port: (tcp.address() as net.AddressInfo).port,
    calls,
    bidis,
    resets,
    serverSessions,
    close: async () => {
      for (const s of serverSessions) s.destroy();
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}

interface Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
  streamId: number;
}

function request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': 'POST', 'content-type': 'application/grpc', ...headers });
    const chunks: Buffer[] = [];
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    req.on('response', (h) => (head = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => resolve({ status: Number(head[':status']), headers: head, trailers, body: Buffer.concat(chunks), streamId: req.id ?? -1 }));
    req.end(body);
  });
}

function summaryOf(a: Answer): { received: number; sha: string; custom?: string; rest: Buffer } {
  const nl = a.body.indexOf(0x0a);
  return { ...(JSON.parse(a.body.subarray(0, nl).toString()) as { received: number; sha: string; custom?: string }), rest: a.body.subarray(nl + 1) };
}

/** Splits one direction of an HTTP/2 connection into frames, whatever the chunking. */
function frameReader(skipPreface: boolean, onFrame: (type: number, streamId: number, payload: Buffer) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  let prefaceLeft = skipPreface ? 24 : 0;
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    const skip = Math.min(prefaceLeft, buf.length);
    buf = buf.subarray(skip);
    prefaceLeft -= skip;
    while (buf.length >= 9 && buf.length >= 9 + buf.readUIntBE(0, 3)) {
      const len = buf.readUIntBE(0, 3);
      onFrame(buf[3]!, buf.readUInt32BE(5) & 0x7fffffff, buf.subarray(9, 9 + len));
      buf = buf.subarray(9 + len);
    }
  };
}

/**
 * A TCP relay in front of the rig that checks what node's own client does not: that the
 * server never sends more DATA than the connection window the client granted. Returns its
 * port and the largest overrun seen (0: none).
 */
async function windowCheckingRelay(target: number): Promise<{ port: number; overrun: () => number; close: () => Promise<void> }> {
  let overrun = 0;
  const relay = net.createServer((client) => {
    const server = net.connect(target, '127.0.0.1');
    let window = 65_535;
    const fromClient = frameReader(true, (type, id, payload) => {
      if (type === 0x8 && id === 0) window += payload.readUInt32BE(0) & 0x7fffffff;
    });
    const fromServer = frameReader(false, (type, _id, payload) => {
      if (type !== 0x0) return;
      window -= payload.length;
      overrun = Math.max(overrun, -window);
    });
    client.on('data', (c: Buffer) => {
      fromClient(c);
      server.write(c);
    });
    server.on('data', (c: Buffer) => {
      fromServer(c);
      client.write(c);
    });
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  return { port: (relay.address() as net.AddressInfo).port, overrun: () => overrun, close: () => new Promise<void>((r) => relay.close(() => r())) };
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

describe('HTTP/2 front end shares a connection with node', () => {
  let rig: Rig;
  let session: http2.ClientHttp2Session;
  before(async () => {
    rig = await startRig();
    session = http2.connect(`http://127.0.0.1:${rig.port}`);
  });
  after(async () => {
    session.destroy();
    await rig.close();
  });

  it('answers the calls it takes and passes the others to node, headers intact through the dynamic table', async () => {
    // node's client indexes repeated headers: later blocks refer to entries an earlier block
    // (owned or not) added, so both sides must have decoded every block.
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all([
        request(session, { ':path': OWNED_PATH, 'x-custom': `owned-${round}` }, Buffer.from('hello')),
        request(session, { ':path': '/node/echo', 'x-custom': `node-${round}` }, Buffer.from('to node')),
        request(session, { ':path': OWNED_PATH, 'x-custom': 'same' }),
        request(session, { ':path': '/node/echo', 'x-custom': 'same' }, Buffer.from('again')),
      ]);
      const [owned, toNode, owned2, toNode2] = answers;
      assert.equal(owned!.status, 200);
      assert.equal(owned!.headers['content-type'], 'application/grpc+proto');
      assert.equal(owned!.trailers['grpc-status'], '0');
      assert.deepEqual({ ...summaryOf(owned!), rest: undefined }, { received: 5, sha: sha(Buffer.from('hello')), custom: `owned-${round}`, rest: undefined });
      assert.equal(summaryOf(owned2!).custom, 'same');
      assert.equal(toNode!.body.toString(), 'to node');
      assert.equal(toNode!.headers['x-custom-seen'], `node-${round}`);
      assert.equal(toNode2!.headers['x-custom-seen'], 'same');
      assert.equal(toNode2!.body.toString(), 'again');
    }
  });

  it('keeps both sides within the flow-control windows: large replies of both kinds arrive whole', async () => {
    const work: Promise<void>[] = [];
    for (let i = 0; i < 3; i++) {
      work.push(
        request(session, { ':path': OWNED_PATH, 'x-reply-bytes': String(300_000 + i) }).then((a) => {
          assert.equal(a.trailers['grpc-status'], '0');
          assert.ok(pattern(300_000 + i).equals(summaryOf(a).rest), 'owned reply intact');
        }),
        request(session, { ':path': '/node/download', 'x-bytes': String(2_000_000 + i) }).then((a) => {
          assert.ok(pattern(2_000_000 + i).equals(a.body), 'node reply intact');
        }),
      );
    }
    await Promise.all(work);
  });

  it('keeps node within the connection window after our replies spent it', async () => {
    // Streams may take 4 MiB each but the connection only its default 64 KiB, so the
    // connection window is what binds. Node learns of the window only through the updates
    // passed on to it, and does not know what our replies spent of it: unchecked, its first
    // burst after a large reply of ours would overrun the client's window.
    const relay = await windowCheckingRelay(rig.port);
    const wide = http2.connect(`http://127.0.0.1:${relay.port}`, { settings: { initialWindowSize: 4 << 20 } });
    try {
      for (let i = 0; i < 2; i++) {
        const owned = await request(wide, { ':path': OWNED_PATH, 'x-reply-bytes': String(1_000_000 + i) });
        assert.ok(pattern(1_000_000 + i).equals(summaryOf(owned).rest), 'owned reply intact');
        const fromNode = await request(wide, { ':path': '/node/download', 'x-bytes': String(1_000_000 + i) });
        assert.ok(pattern(1_000_000 + i).equals(fromNode.body), 'node reply intact');
      }
      assert.equal(relay.overrun(), 0, 'DATA beyond the connection window the client granted');
    } finally {
      wide.destroy();
      await relay.close();
    }
  });

  it('takes a request body larger than the stream and connection windows', async () => {
    const body = pattern(1_500_000);
    const a = await request(session, { ':path': OWNED_PATH }, body);
    const s = summaryOf(a);
    assert.equal(s.received, body.length);
    assert.equal(s.sha, sha(body));
  });

  it('sends a status alone as a trailers-only answer', async () => {
    const a = await request(session, { ':path': OWNED_PATH, 'x-status-only': '1' });
    assert.equal(a.status, 200);
    assert.equal(a.headers['grpc-status'], '5');
    assert.equal(a.headers['grpc-message'], 'not%20found');
    assert.equal(a.body.length, 0);
  });

  it('runs a bidi stream\'s write callbacks only as the client\'s window lets its DATA out', async () => {
    const req = session.request({ ':method': 'POST', ':path': BIDI_PATH, 'content-type': 'application/grpc', 'x-writes': '40' });
    req.pause();
    req.write(Buffer.from('go'));
    // A round trip on the same connection: the front end has read the request since.
    await request(session, { ':path': '/node/echo' }, Buffer.from('sync'));
    const bidi = rig.bidis.at(-1)!;
    // 640 KiB against a 64 KiB stream window the client does not give back while paused.
    assert.ok(bidi.written < 8, `only what the window allowed went out (${bidi.written} of 40)`);
    const chunks: Buffer[] = [];
    let trailers: http2.IncomingHttpHeaders = {};
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('trailers', (t) => (trailers = t));
    const ended = new Promise<void>((r) => req.on('end', r));
    req.resume();
    req.end();
    await ended;
    assert.equal(bidi.written, 40);
    assert.equal(Buffer.concat(chunks).length, 40 * 16_384);
    assert.equal(trailers['grpc-status'], '0');
    await new Promise<void>((r) => (bidi.closed ? r() : bidi.stream.on('close', r)));
  });

  it('tells a call its stream was reset by the client', async () => {
    const req = session.request({ ':method': 'POST', ':path': OWNED_PATH, 'content-type': 'application/grpc', 'x-hold': '1' });
    req.write(Buffer.from('partial'));
    // Let the HEADERS and DATA reach the front end before the reset.
    await request(session, { ':path': '/node/echo' }, Buffer.from('sync'));
    req.close(http2.constants.NGHTTP2_CANCEL);
    await rig.resets[0];
    assert.ok(rig.calls.some((c) => c.reset && c.closed && c.received === 'partial'.length));
  });
});

describe('HTTP/2 front end and GOAWAY', () => {
  it('names the highest stream the front end served, so a client does not retry it', async () => {
    const rig = await startRig();
    const session = http2.connect(`http://127.0.0.1:${rig.port}`);
    try {
      await request(session, { ':path': '/node/echo' }, Buffer.from('x'));
      const owned = [await request(session, { ':path': OWNED_PATH }), await request(session, { ':path': OWNED_PATH })];
      const goaway = new Promise<number>((r) => session.on('goaway', (_code, lastStreamId) => r(lastStreamId)));
      rig.serverSessions[0]!.close();
      assert.equal(await goaway, owned[1]!.streamId);
    } finally {
      session.destroy();
      await rig.close();
    }
  });
});

describe('HTTP/2 front end and the server preface', () => {
  it('sends node\'s SETTINGS before an answer it made from the connection\'s first bytes', async () => {
    // The client's preface, SETTINGS and a whole owned call arrive in the first read, so the
    // call is answered (trailers-only) before node's session exists to write its SETTINGS.
    const taker: OwnedCallTaker = {
      take(conn, id, headers) {
        return new TestCall(conn, id, headers, () => {});
      },
    };
    const block = encodeHeaderBlock([[':method', 'POST'], [':scheme', 'http'], [':path', OWNED_PATH], [':authority', 'x'], ['content-type', 'application/grpc'], ['x-status-only', '1']]);
    const first = Buffer.concat([
      CONNECTION_PREFACE,
      encodeFrame(FrameType.SETTINGS, 0, 0, Buffer.alloc(0)),
      encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, block),
    ]);
    const h2 = http2.createServer();
    const received: Buffer[] = [];
    const [server, client] = await socketPair();
    client.on('data', (c: Buffer) => received.push(c));
    const front = new H2FrontConnection(server, taker, first);
    h2.emit('connection', front);
    try {
      const types = async (): Promise<number[]> => {
        for (;;) {
          const all = Buffer.concat(received);
          const seen: number[] = [];
          for (let pos = 0; pos + 9 <= all.length; pos += 9 + all.readUIntBE(pos, 3)) seen.push(all[pos + 3]!);
          if (seen.includes(FrameType.HEADERS)) return seen;
          await new Promise((r) => client.once('data', r));
        }
      };
      const seen = await types();
      assert.equal(seen[0], FrameType.SETTINGS, `frame types in order: ${seen.join(',')}`);
      assert.ok(seen.indexOf(FrameType.HEADERS) > 0);
    } finally {
      client.destroy();
      server.destroy();
    }
  });
});

/** Two ends of a loopback TCP connection. */
async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const listener = net.createServer();
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => listener.once('connection', r));
  const client = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  const server = await accepted;
  listener.close();
  return [server, client];
}
