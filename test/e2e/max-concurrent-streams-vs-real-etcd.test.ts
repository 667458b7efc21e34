// --max-concurrent-streams is the HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS a client port
// announces to every gRPC connection (etcd-ts once parsed it and always announced the
// default). Read from the settings a client holds after its first exchange, so every
// SETTINGS frame the server sent has been applied, on real etcd and etcd-ts alike.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { withMember } from '../helpers/processes.js';

function announcedLimit(url: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on('error', reject);
    const req = session.request({ ':path': '/health' });
    req.on('error', () => undefined);
    req.resume();
    req.on('close', () => {
      const limit = session.remoteSettings.maxConcurrentStreams;
      session.close();
      resolve(limit);
    });
    req.end();
  });
}

async function observe(kind: 'ours' | 'real', flags: string[]): Promise<number | undefined> {
  return withMember(kind, { extraArgs: flags }, (m) => announcedLimit(m.clientUrl));
}

test('--max-concurrent-streams is announced to HTTP/2 clients as on real etcd', async () => {
  for (const [flags, expected] of [[[], 2 ** 32 - 1], [['--max-concurrent-streams=7'], 7]] as const) {
    const real = await observe('real', [...flags]);
    const ours = await observe('ours', [...flags]);
    assert.equal(real, expected, 'real etcd announces the flag');
    assert.equal(ours, real, flags.join(' ') || '(default)');
  }
});
