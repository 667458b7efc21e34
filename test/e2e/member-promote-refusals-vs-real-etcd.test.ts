// member promote refused, compared with real etcd 3.4.23 through the real etcdctl: what the
// user reads, the exit code, and whether the refusal went through raft. etcd checks on the
// leader only how far a learner got; whether the id is a learner at all is decided when
// the conf change applies, so promoting an unknown, removed or voting member costs a raft
// index, while a learner that has not caught up is refused before proposing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdctl, withMember, type Member } from '../helpers/processes.js';

function ctl(m: Member, ...args: string[]): { out: string; code: number | null } {
  const r = etcdctl('real', ['--endpoints', m.endpoint, ...args]);
  // clientv3's retry warnings carry random target names; the Error line is what users read.
  const err = r.stderr.split('\n').filter((l) => l !== '' && !l.includes('retry_interceptor')).join('\n');
  return { out: r.stdout + err, code: r.status };
}

function raftIndex(m: Member): number {
  const r = etcdctl('real', ['--endpoints', m.endpoint, 'endpoint', 'status', '-w', 'json']);
  const [status] = JSON.parse(r.stdout) as { Status: { raftIndex: number; raftAppliedIndex: number } }[];
  assert.equal(status!.Status.raftAppliedIndex, status!.Status.raftIndex);
  return status!.Status.raftIndex;
}

function memberIds(m: Member): { self: string; learner?: string } {
  const rows = ctl(m, 'member', 'list').out.trim().split('\n').map((l) => l.split(', '));
  return { self: rows.find((r) => r[5] === 'false')![0]!, learner: rows.find((r) => r[5] === 'true')?.[0] };
}

interface Attempt {
  what: string;
  out: string;
  code: number | null;
  raftIndexMoved: number;
}

async function promoteRefusals(m: Member): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  const promote = (what: string, id: string) => {
    const before = raftIndex(m);
    const r = ctl(m, 'member', 'promote', id);
    attempts.push({ what, out: r.out, code: r.code, raftIndexMoved: raftIndex(m) - before });
  };
  promote('an id of no member', '1234');
  promote('the voting member itself', memberIds(m).self);
  // A learner that never started has replicated nothing: not ready.
  assert.equal(ctl(m, 'member', 'add', 'l1', '--learner', '--peer-urls', 'http://127.0.0.1:1').code, 0);
  const learner = memberIds(m).learner!;
  promote('a learner that has not caught up', learner);
  assert.equal(ctl(m, 'member', 'remove', learner).code, 0);
  promote('a removed member', learner);
  return attempts;
}

test('member promote of an unknown id, a voter, a lagging learner and a removed member: same errors, exit codes and raft index effect as real etcd', async () => {
  const real = await withMember('real', {}, promoteRefusals);
  const ours = await withMember('ours', {}, promoteRefusals);
  assert.deepEqual(ours, real);
  assert.deepEqual(
    ours.map((a) => [a.what, a.out, a.code, a.raftIndexMoved]),
    [
      ['an id of no member', 'Error: etcdserver: member not found', 1, 1],
      ['the voting member itself', 'Error: etcdserver: can only promote a learner member', 1, 1],
      ['a learner that has not caught up', 'Error: etcdserver: can only promote a learner member which is in sync with leader', 1, 0],
      ['a removed member', 'Error: etcdserver: member not found', 1, 1],
    ],
  );
});
