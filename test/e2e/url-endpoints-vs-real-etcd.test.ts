// Debian's etcdctl dials one endpoint directly for endpoint status/hashkv and defrag, and
// then sends the endpoint as written, "http://127.0.0.1:2379", as the HTTP/2 :authority.
// Operators type URLs in --endpoints all the time (the seeds do), so those commands must
// answer on etcd-ts as on real etcd 3.4.23: same stdout, stderr and exit code, with only
// what is not the same product masked (server version, database sizes, and the raft
// index: etcd 3.4's /health, which the harness polls, is a raft write, 3.5's is not).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { etcdctl, freePort, removeDir, startMember, stopMember, tempDir } from '../helpers/processes.js';

const STEPS: string[][] = [
  ['put', 'foo', 'bar'],
  ['get', 'foo'],
  ['endpoint', 'health'],
  ['endpoint', 'status'],
  ['endpoint', 'status', '-w', 'table'],
  ['endpoint', 'status', '--cluster', '-w', 'table'],
  ['endpoint', 'hashkv'],
  ['endpoint', 'hashkv', '--cluster', '-w', 'json'],
  ['defrag'],
  ['defrag', '--cluster'],
  ['member', 'list'],
];

function mask(text: string): string {
  return text
    .replace(/"ts":"[^"]*"/g, '"ts":"X"')
    .replace(/took = \S+/g, 'took = X')
    .replace(/3\.4\.23|3\.5\.17/g, 'VERSION')
    .replace(/\d+(?:\.\d+)? [kMG]?B/g, 'SIZE')
    .replace(/"(dbSize|dbSizeInUse)":\d+/g, '"$1":N')
    .replace(/, \d+, \d+, $/gm, ', I, I, ')
    .replace(/\d+( \|\s+)\d+( \|\s+\|)$/gm, 'I$1I$2');
}

async function session(kind: 'ours' | 'real', clientPort: number, peerPort: number): Promise<string[]> {
  const root = tempDir(`url-endpoints-${kind}-`);
  const m = await startMember(kind, { clientPort, peerPort, dataDir: join(root, 'data') });
  try {
    return STEPS.map((args) => {
      const r = etcdctl('real', [`--endpoints=http://${m.endpoint}`, ...args]);
      return mask(`$ etcdctl ${args.join(' ')}\n${r.stdout}${r.stderr}[exit ${r.status}]`);
    });
  } finally {
    await stopMember(m);
    removeDir(root);
  }
}

test('etcdctl with http:// endpoints gets the answers real etcd gives (status, hashkv, defrag, --cluster)', async () => {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const real = await session('real', clientPort, peerPort);
  const ours = await session('ours', clientPort, peerPort);
  assert.deepEqual(ours, real);
  assert.ok(real.every((step) => step.endsWith('[exit 0]')), real.join('\n'));
});
