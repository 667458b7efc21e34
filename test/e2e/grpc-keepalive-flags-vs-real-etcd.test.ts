// --grpc-keepalive-interval (with --grpc-keepalive-timeout) makes the member ping a quiet
// client connection (etcd-ts once parsed both and ignored them: it never pinged). An HTTP/2
// client makes one request, then waits; real etcd and etcd-ts must both send it a PING.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { withMember } from '../helpers/processes.js';

/** Resolves true on the server's first PING after a completed request; false if none came (a guard, not a measure). */
function pinged(url: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on('error', reject);
    const req = session.request({ ':path': '/health' });
    req.on('error', () => undefined);
    req.resume();
    req.end();
    req.on('close', () => {
      const guard = setTimeout(() => finish(false), 20_000);
      const finish = (seen: boolean) => {
        clearTimeout(guard);
        session.close();
        resolve(seen);
      };
      session.once('ping', () => finish(true));
    });
  });
}

async function observe(kind: 'ours' | 'real'): Promise<boolean> {
  return withMember(kind, { extraArgs: ['--grpc-keepalive-interval=1s', '--grpc-keepalive-timeout=5s'] }, (m) => pinged(m.clientUrl));
}

test('--grpc-keepalive-interval pings a quiet client connection as real etcd does', async () => {
  const real = await observe('real');
  const ours = await observe('ours');
  assert.equal(real, true);
  assert.equal(ours, real);
});
