// HashKV must give the same number on etcd-ts as on real etcd 3.4.23 for the same
// history: `etcdctl endpoint hashkv` (Debian's) against both, after puts, deletes, a txn
// and compactions, at several revisions, with etcd's errors for compacted and future ones.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { etcdctl, freePort, removeDir, startMember, stopMember, tempDir } from '../helpers/processes.js';

function hashOrError(stdout: string, stderr: string): string {
  const m = /"hash":(\d+),"compact_revision":(-?\d+)/.exec(stdout);
  if (m) return `hash=${m[1]} compact=${m[2]}`;
  const err = stderr.split('\n').find((l) => l.startsWith('Error: '));
  return err ?? `unexpected: ${stdout} ${stderr}`;
}

async function session(kind: 'ours' | 'real', clientPort: number, peerPort: number): Promise<string[]> {
  const root = tempDir(`hashkv-${kind}-`);
  const m = await startMember(kind, { clientPort, peerPort, dataDir: join(root, 'data') });
  const ctl = (args: string[], input?: string) => {
    const r = etcdctl('real', [`--endpoints=${m.endpoint}`, ...args], input);
    assert.equal(r.status, 0, `${kind}: etcdctl ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const hash = (rev?: number) => {
    const r = etcdctl('real', [`--endpoints=${m.endpoint}`, 'endpoint', 'hashkv', '-w', 'json', ...(rev === undefined ? [] : [`--rev=${rev}`])]);
    return `${rev ?? 'current'}: ${hashOrError(r.stdout, r.stderr)}`;
  };
  try {
    const out: string[] = [];
    for (const [k, v] of [['a', '1'], ['b', '2'], ['a', '3']]) ctl(['put', k!, v!]);
    ctl(['del', 'b']);
    ctl(['put', 'c', '4']);
    ctl(['put', 'd', 'x'.repeat(3000)]);
    ctl(['put', 'a', '6']);
    // No compares, two puts in success, no failure ops.
    ctl(['txn'], '\nput x 1\nput y 2\n\n\n');
    out.push(hash(), hash(3), hash(5), hash(7));
    ctl(['compact', '5']);
    out.push(hash(), hash(5), hash(6), hash(9), hash(100));
    ctl(['del', 'a']);
    ctl(['del', 'x', 'z']);
    ctl(['compact', '11']);
    out.push(hash(), hash(11), hash(12));
    return out;
  } finally {
    await stopMember(m);
    removeDir(root);
  }
}

test('endpoint hashkv gives real etcd 3.4.23 numbers and errors for the same history', async () => {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const real = await session('real', clientPort, peerPort);
  const ours = await session('ours', clientPort, peerPort);
  assert.deepEqual(ours, real);
  // The comparison covers hashes, not just errors.
  assert.ok(real.filter((l) => l.includes('hash=')).length >= 8, real.join('\n'));
  assert.ok(real.some((l) => l.includes('required revision has been compacted')));
  assert.ok(real.some((l) => l.includes('required revision is a future revision')));
});
