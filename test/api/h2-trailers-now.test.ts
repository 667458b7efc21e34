// sendTrailersNow (src/api/h2-trailers-now.ts) must deliver exactly the trailers it is
// given, whether it submits them itself (plain string and number values) or hands them to
// stream.sendTrailers (anything else), and the stream must end cleanly either way.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { sendTrailersNow } from '../../src/api/h2-trailers-now.js';

const FROZEN = Object.freeze({ 'grpc-status': 0, 'grpc-message': 'OK' });

/** What the server sends as trailers, chosen by the request's path. */
const TRAILERS: Record<string, http2.OutgoingHttpHeaders> = {
  '/frozen': FROZEN,
  '/plain': { 'grpc-status': 5, 'grpc-message': 'etcdserver%3A%20key%20not%20found', 'x-extra': 'v' },
  '/multi': { 'grpc-status': 0, 'x-multi': ['a', 'b'] },
};

describe('sendTrailersNow', () => {
  let server: http2.Http2Server;
  let client: http2.ClientHttp2Session;

  before(async () => {
    server = http2.createServer();
    server.on('stream', (stream, headers) => {
      const trailers = TRAILERS[headers[':path'] ?? ''] ?? FROZEN;
      stream.resume();
      stream.on('end', () => {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => sendTrailersNow(stream, trailers));
        stream.end(Buffer.from('message'));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });

  after(async () => {
    client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function call(path: string): Promise<{ body: string; trailers: http2.IncomingHttpHeaders }> {
    return await new Promise((resolve, reject) => {
      const req = client.request({ ':path': path, ':method': 'POST' });
      let body = '';
      let trailers: http2.IncomingHttpHeaders = {};
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('trailers', (t) => (trailers = t));
      req.on('error', reject);
      req.on('close', () => resolve({ body, trailers }));
      req.end('request');
    });
  }

  it('sends plain trailers, numbers as their decimal text', async () => {
    for (const path of ['/frozen', '/frozen', '/plain']) {
      const { body, trailers } = await call(path);
      assert.equal(body, 'message');
      const want = TRAILERS[path]!;
      for (const [k, v] of Object.entries(want)) assert.equal(trailers[k], String(v), `${path} ${k}`);
    }
  });

  it('hands trailers it does not encode to stream.sendTrailers', async () => {
    const { body, trailers } = await call('/multi');
    assert.equal(body, 'message');
    assert.equal(trailers['grpc-status'], '0');
    assert.equal(trailers['x-multi'], 'a, b');
  });
});
