// A CORRUPT alarm (raised by etcd's corruption check, or through the Alarm API as here)
// makes the cluster refuse every change with "etcdserver: corrupt cluster" while reads,
// status and the alarm commands keep working; `alarm disarm` restores writes. Debian's
// etcdctl runs the same session against real etcd 3.4.23 and etcd-ts on the same ports.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { etcdctl, freePort, removeDir, startMember, stopMember, tempDir } from '../helpers/processes.js';

const SESSION: { args: string[]; input?: string }[] = [
  { args: ['alarm', 'list'] },
  { args: ['put', 'a', 'c'] },
  { args: ['get', 'a'] },
  { args: ['get', 'a', '--consistency=s'] },
  { args: ['del', 'a'] },
  { args: ['txn'], input: '\nput a t\n\n\n' },
  { args: ['txn'], input: '\nget a\n\n\n' },
  { args: ['lease', 'grant', '10'] },
  { args: ['compaction', '1'] },
  { args: ['alarm', 'disarm'] },
  { args: ['alarm', 'list'] },
  { args: ['put', 'a', 'd'] },
  { args: ['get', 'a', '--print-value-only'] },
];

async function session(kind: 'ours' | 'real', clientPort: number, peerPort: number): Promise<string[]> {
  const root = tempDir(`corrupt-${kind}-`);
  const m = await startMember(kind, { clientPort, peerPort, dataDir: join(root, 'data') });
  try {
    assert.equal(etcdctl('real', [`--endpoints=${m.endpoint}`, 'put', 'a', 'b']).status, 0);
    const memberId = /"member_id":(\d+)/.exec(etcdctl('real', [`--endpoints=${m.endpoint}`, 'endpoint', 'status', '-w', 'json']).stdout)![1]!;
    const raised = await fetch(`${m.clientUrl}/v3/maintenance/alarm`, { method: 'POST', body: JSON.stringify({ action: 'ACTIVATE', memberID: memberId, alarm: 'CORRUPT' }) });
    const raisedBody = await raised.text();
    const out = [`activate: ${raised.status} ${raisedBody}`];
    for (const step of SESSION) {
      const r = etcdctl('real', [`--endpoints=${m.endpoint}`, ...step.args], step.input);
      const stderr = r.stderr.replace(/\{"level":"warn".*\n/g, '');
      out.push(`$ etcdctl ${step.args.join(' ')}\n${r.stdout}${stderr}[exit ${r.status}]`);
    }
    return out;
  } finally {
    await stopMember(m);
    removeDir(root);
  }
}

test('a CORRUPT alarm refuses every change and keeps reads, as real etcd does; disarm restores writes', async () => {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const real = await session('real', clientPort, peerPort);
  const ours = await session('ours', clientPort, peerPort);
  assert.deepEqual(ours, real);
  assert.ok(real.filter((s) => s.includes('etcdserver: corrupt cluster')).length >= 5, real.join('\n'));
});
