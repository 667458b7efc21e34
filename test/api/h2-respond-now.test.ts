// respondWaitingForTrailers (src/api/h2-respond-now.ts) must put on the wire exactly what
// stream.respond(headers, { waitForTrailers: true }) puts there, date included, and leave
// the stream as node's respond leaves it; what it does not take goes through node's respond.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { respondNowActive, respondWaitingForTrailers } from '../../src/api/h2-respond-now.js';
import { RESPONSE_HEADERS } from '../../src/api/grpc-fast-status.js';

const HEADERS = 0x1;

/** What the server answers with, by request path. */
const ANSWERS: Record<string, (stream: http2.ServerHttp2Stream) => void> = {
  '/now': (s) => respondWaitingForTrailers(s, RESPONSE_HEADERS),
  '/node': (s) => s.respond(RESPONSE_HEADERS, { waitForTrailers: true }),
  // Not frozen, so encoded on each call; still taken.
  '/now-unfrozen': (s) => respondWaitingForTrailers(s, { ...RESPONSE_HEADERS, 'x-extra': 7 }),
  '/node-unfrozen': (s) => s.respond({ ...RESPONSE_HEADERS, 'x-extra': 7 }, { waitForTrailers: true }),
  // Not taken: a date of its own, an array value, sensitive headers.
  '/own-date': (s) => respondWaitingForTrailers(s, { ':status': 200, date: 'Thu, 01 Jan 1970 00:00:00 GMT' }),
  '/array': (s) => respondWaitingForTrailers(s, { ':status': 200, 'x-multi': ['a', 'b'] }),
  '/sensitive': (s) => respondWaitingForTrailers(s, { ':status': 200, 'x-secret': 's', [http2.sensitiveHeaders]: ['x-secret'] }),
};

interface Served {
  path: string;
  headersSent: boolean;
  sentHeaders: http2.OutgoingHttpHeaders;
  frozen: boolean;
  again?: unknown;
}

describe('respondWaitingForTrailers', () => {
  let server: http2.Http2Server;
  let proxy: net.Server;
  let proxyPort: number;
  /** Server-to-client bytes of each proxied connection, in connection order. */
  const wires: Buffer[][] = [];
  const served: Served[] = [];

  before(async () => {
    server = http2.createServer();
    server.on('stream', (stream, headers) => {
      const path = headers[':path'] ?? '';
      stream.resume();
      stream.on('end', () => {
        ANSWERS[path]!(stream);
        let again: unknown;
        try {
          respondWaitingForTrailers(stream, RESPONSE_HEADERS);
        } catch (err) {
          again = (err as { code?: unknown }).code;
        }
        served.push({ path, headersSent: stream.headersSent, sentHeaders: stream.sentHeaders, frozen: Object.isFrozen(stream.sentHeaders), again });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': 0, 'grpc-message': 'OK' }));
        stream.end(Buffer.from('message'));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    // A relay that records what the server sends, to compare the two ways byte for byte.
    proxy = net.createServer((client) => {
      const record: Buffer[] = [];
      wires.push(record);
      const upstream = net.connect(port, '127.0.0.1');
      client.pipe(upstream);
      upstream.on('data', (d: Buffer) => record.push(d));
      upstream.pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyPort = (proxy.address() as AddressInfo).port;
  });

  after(async () => {
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function call(session: http2.ClientHttp2Session, path: string): Promise<{ headers: http2.IncomingHttpHeaders; body: string; trailers: http2.IncomingHttpHeaders }> {
    return await new Promise((resolve, reject) => {
      const req = session.request({ ':path': path, ':method': 'POST' });
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      let body = '';
      req.setEncoding('utf8');
      req.on('response', (h) => (headers = h));
      req.on('data', (c: string) => (body += c));
      req.on('trailers', (t) => (trailers = t));
      req.on('error', reject);
      req.on('close', () => resolve({ headers, body, trailers }));
      req.end('request');
    });
  }

  /** Runs `paths` in order on a fresh connection through the relay; returns the replies and what the server sent. */
  async function connection(paths: string[]): Promise<{ replies: Awaited<ReturnType<typeof call>>[]; wire: Buffer }> {
    const session = http2.connect(`http://127.0.0.1:${proxyPort}`);
    const replies = [];
    for (const p of paths) replies.push(await call(session, p));
    await new Promise<void>((resolve) => session.close(resolve));
    return { replies, wire: Buffer.concat(wires[wires.length - 1]!) };
  }

  /** The HEADERS frames (flags, stream, HPACK block) in the order sent. */
  function headerFrames(wire: Buffer): string[] {
    const out: string[] = [];
    for (let at = 0; at + 9 <= wire.length; ) {
      const length = wire.readUIntBE(at, 3);
      if (wire[at + 3] === HEADERS) out.push(`${wire[at + 4]} ${wire.readUInt32BE(at + 5) & 0x7fffffff} ${wire.subarray(at + 9, at + 9 + length).toString('hex')}`);
      at += 9 + length;
    }
    return out;
  }

  it('puts the same header blocks on the wire as stream.respond, date included', async () => {
    // The first call learns node's internals (it goes through stream.respond).
    await connection(['/now']);
    assert.equal(respondNowActive(), true);
    for (const [mine, node] of [['/now', '/node'], ['/now-unfrozen', '/node-unfrozen']] as const) {
      // Three calls a connection: the second and third use the HPACK table the first filled.
      for (let attempt = 0; ; attempt++) {
        served.length = 0;
        const a = await connection([mine, mine, mine]);
        const b = await connection([node, node, node]);
        const dates = new Set([...a.replies, ...b.replies].map((r) => r.headers.date));
        // A second boundary between the calls changes the date: try again.
        if (dates.size > 1 && attempt < 5) continue;
        assert.equal(dates.size, 1);
        assert.match(String([...dates][0]), /^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/);
        assert.deepEqual(headerFrames(a.wire), headerFrames(b.wire), `${mine} vs ${node}`);
        assert.equal(headerFrames(a.wire).length, 6, 'headers and trailers of three calls');
        for (const r of a.replies) {
          assert.equal(r.body, 'message');
          assert.equal(r.trailers['grpc-status'], '0');
        }
        // The streams look as node's respond leaves them.
        const [ours, theirs] = [served.filter((s) => s.path === mine), served.filter((s) => s.path === node)];
        assert.equal(ours.length, 3);
        for (let i = 0; i < 3; i++) {
          assert.equal(ours[i]!.frozen, true, 'served without stream.respond');
          assert.equal(theirs[i]!.frozen, false);
          assert.equal(ours[i]!.headersSent, true);
          assert.deepEqual({ ...ours[i]!.sentHeaders }, { ...theirs[i]!.sentHeaders });
          assert.deepEqual(Reflect.ownKeys(ours[i]!.sentHeaders), Reflect.ownKeys(theirs[i]!.sentHeaders));
          // A second response is refused as node refuses it.
          assert.equal(ours[i]!.again, 'ERR_HTTP2_HEADERS_SENT');
          assert.equal(theirs[i]!.again, 'ERR_HTTP2_HEADERS_SENT');
        }
        break;
      }
    }
  });

  it('hands headers it does not take to stream.respond', async () => {
    served.length = 0;
    const { replies } = await connection(['/own-date', '/array', '/sensitive']);
    assert.equal(replies[0]!.headers.date, 'Thu, 01 Jan 1970 00:00:00 GMT');
    assert.equal(replies[1]!.headers['x-multi'], 'a, b');
    assert.equal(replies[2]!.headers['x-secret'], 's');
    for (const r of replies) {
      assert.equal(r.body, 'message');
      assert.equal(r.trailers['grpc-status'], '0');
    }
    assert.deepEqual(served.map((s) => s.frozen), [false, false, false], 'all went through stream.respond');
    assert.equal(respondNowActive(), true, 'headers it does not take do not turn it off');
  });
});
