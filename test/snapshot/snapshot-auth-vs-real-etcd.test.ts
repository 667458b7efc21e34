// With auth on, a snapshot is for root only. etcdctl and the JSON gateway report the
// refusal as real etcd does (gRPC code UNKNOWN, etcd's auth message; the gateway's
// stream error object with HTTP 500).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { etcdctl, removeDir, startMember, stopMember, tempDir, type Member } from '../helpers/processes.js';
import { normalizeSnapshotLog, postFresh } from './helpers.js';

function enableAuth(m: Member): void {
  for (const args of [['user', 'add', 'root:pw'], ['user', 'grant-role', 'root', 'root'], ['user', 'add', 'bob:pw'], ['auth', 'enable']]) {
    const r = etcdctl('real', ['--endpoints', m.endpoint, ...args]);
    assert.equal(r.status, 0, r.stderr);
  }
}

test('snapshot refusals under auth match real etcd', async (t) => {
  const dir = tempDir('etcd-snapshot-auth-');
  const ours = await startMember('ours');
  const real = await startMember('real');
  t.after(async () => {
    await stopMember(ours);
    await stopMember(real);
    removeDir(dir);
    removeDir(ours.dataDir);
    removeDir(real.dataDir);
  });
  enableAuth(ours);
  enableAuth(real);
  const run = (m: Member, extra: string[], file: string) => {
    const r = etcdctl('real', ['--endpoints', m.endpoint, ...extra, 'snapshot', 'save', join(dir, file)]);
    const names: [string, string][] = [[join(dir, file), '<file>'], [m.endpoint, '<ep>']];
    // etcdctl logs a failed stream from another goroutine than its own progress lines,
    // so their order varies run to run: compare the lines, not their order.
    const lines = normalizeSnapshotLog(r.stderr, names).split('\n').sort();
    return { status: r.status, stdout: normalizeSnapshotLog(r.stdout, names), stderr: lines };
  };
  for (const [i, extra] of [[], ['--user', 'bob:pw'], ['--user', 'root:pw']].entries()) {
    assert.deepEqual(run(ours, extra, `ours-${i}.db`), run(real, extra, `real-${i}.db`), extra.join(' '));
  }
  for (const m of [ours, real]) {
    const res = await postFresh(`${m.clientUrl}/v3/maintenance/snapshot`, '{}');
    assert.equal(res.status, 500, m.kind);
    assert.equal(res.body, '{"error":{"grpc_code":2,"http_code":500,"message":"auth: user name is empty","http_status":"Internal Server Error"}}', m.kind);
  }
});
