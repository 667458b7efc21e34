// etcdctl lock / elect as operators use them: Debian's etcdctl 3.4.23 against real etcd
// is the reference; Debian's etcdctl against etcd-ts, and our etcdctl against both, must
// print the same, exit the same, and serialize lock holders and leaders the same way.
// Lease ids differ between runs and are masked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { etcdctl, OUR_ETCDCTL, REAL_ETCDCTL, removeDir, startMember, stopMember, type Member } from '../helpers/processes.js';

type Ctl = 'ours' | 'real';

const mask = (s: string) => s.replace(/\/[0-9a-f]+\b/g, '/<lease>').replace(/lease [0-9a-f]+ granted/g, 'lease <lease> granted').replace(/remaining\(\d+s\)/g, 'remaining(Ns)');

class Running {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly p: ChildProcess;

  constructor(ctl: Ctl, m: Member, args: string[]) {
    const [bin, pre] = ctl === 'ours' ? [process.execPath, [OUR_ETCDCTL]] : [REAL_ETCDCTL, []];
    this.p = spawn(bin, [...pre, '--endpoints', m.endpoint, ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
    this.p.stdout!.on('data', (c: Buffer) => (this.stdout += c.toString()));
    this.p.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.exited = new Promise((r) => this.p.once('exit', (code) => r(code)));
  }

  lines(): number {
    return this.stdout.split('\n').length - 1;
  }

  async interrupt(): Promise<number | null> {
    this.p.kill('SIGINT');
    return this.exited;
  }

  kill(): void {
    if (this.p.exitCode === null && this.p.signalCode === null) this.p.kill('SIGKILL');
  }
}

async function until(what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

/** Keys under `prefix`, read with Debian's etcdctl. */
function keys(m: Member, prefix: string): number {
  const r = etcdctl('real', ['--endpoints', m.endpoint, 'get', '--prefix', prefix, '--keys-only']);
  return r.stdout.split('\n').filter((l) => l !== '').length;
}

/**
 * Messages the member's Watch service has received so far (its /metrics counter; both
 * servers export it). A lock waiter opens its watch only after its queueing Txn answered,
 * so a rise in this count is the sign that the waiter is really waiting.
 */
async function watchMessagesReceived(m: Member): Promise<number> {
  const text = await (await fetch(`${m.clientUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('grpc_server_msg_received_total{') && l.includes('grpc_service="etcdserverpb.Watch"'));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const errorLines = (s: string) => s.split('\n').filter((l) => l.startsWith('Error')).join('\n');

async function transcript(ctl: Ctl, m: Member): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const run = (args: string[]) => {
    const r = etcdctl(ctl, ['--endpoints', m.endpoint, ...args]);
    return `${r.status}\n${mask(r.stdout)}${errorLines(r.stderr)}`;
  };
  out.noName = run(['lock']);
  out.electNoProposal = run(['elect', 'x']);
  out.electListenWithProposal = run(['elect', '-l', 'x', 'y']);
  out.electNoArgs = run(['elect']);
  out.exec = run(['lock', 'm', '--', 'sh', '-c', 'echo "$ETCD_LOCK_KEY @$ETCD_LOCK_REV"']);
  out.execFails = run(['lock', 'm', '--', 'sh', '-c', 'echo ran; exit 3']);
  out.execMissing = run(['lock', 'm', 'no-such-command-here']);
  out.ttl = run(['lock', '--ttl', '7', 'm', '--', 'sh', '-c', `${REAL_ETCDCTL} --endpoints ${m.endpoint} lease timetolive "\${ETCD_LOCK_KEY#m/}"`]);

  const procs: Running[] = [];
  const start = (args: string[]) => {
    const p = new Running(ctl, m, args);
    procs.push(p);
    return p;
  };
  try {
    // Two holders of one lock: the second waits until the first is interrupted.
    const a = start(['lock', 'h']);
    await until('the first holder to print its key', () => a.lines() >= 2);
    const b = start(['lock', 'h']);
    await until('the second holder to queue', () => keys(m, 'h/') === 2);
    assert.equal(b.stdout, '', 'the second holder must not hold the lock yet');
    out.firstHolder = `${await a.interrupt()}\n${mask(a.stdout)}${a.stderr}`;
    await until('the second holder to get the lock', () => b.lines() >= 2);
    out.secondHolder = `${await b.interrupt()}\n${mask(b.stdout)}${b.stderr}`;
    out.keysAfterRelease = String(keys(m, 'h/'));

    // A waiter that is interrupted gives up and withdraws.
    const holder = start(['lock', 'w']);
    await until('the holder', () => holder.lines() >= 2);
    const watchesBefore = await watchMessagesReceived(m);
    const waiter = start(['lock', 'w']);
    await until('the waiter to queue', () => keys(m, 'w/') === 2);
    // Its key being visible is not enough: interrupted before its Txn's answer arrives, the
    // waiter fails inside that Txn and never runs the clean-up that deletes its key (clientv3
    // only unlocks when the wait for earlier holders fails). Once it watches, it is waiting.
    await until('the waiter to watch the holder', async () => (await watchMessagesReceived(m)) > watchesBefore);
    out.interruptedWaiter = `${await waiter.interrupt()}\n${waiter.stdout}${errorLines(waiter.stderr)}`;
    out.keysAfterWaiterLeft = String(keys(m, 'w/'));
    await holder.interrupt();

    // An election: an observer, a leader, a candidate that takes over when the leader quits.
    const observer = start(['elect', '-l', 'e']);
    const one = start(['elect', 'e', 'one']);
    await until('the first leader', () => one.lines() >= 2);
    const two = start(['elect', 'e', 'two']);
    await until('the second candidate to queue', () => keys(m, 'e/') === 2);
    assert.equal(two.stdout, '', 'the second candidate must not lead yet');
    out.firstLeader = `${await one.interrupt()}\n${mask(one.stdout)}${one.stderr}`;
    await until('the second leader', () => two.lines() >= 2);
    await until('the observer to see both leaders', () => observer.lines() >= 4);
    out.secondLeader = `${await two.interrupt()}\n${mask(two.stdout)}${two.stderr}`;
    // clientv3 may log a retry warning for the watch it cancels on the way out, depending on timing.
    out.observer = `${await observer.interrupt()}\n${mask(observer.stdout)}${observer.stderr.split('\n').filter((l) => !l.includes('retry_interceptor')).join('\n')}`;
    out.leaderKeysAfter = String(keys(m, 'e/'));
    return out;
  } finally {
    for (const p of procs) p.kill();
  }
}

async function withMember<T>(kind: 'ours' | 'real', fn: (m: Member) => Promise<T>): Promise<T> {
  const m = await startMember(kind);
  try {
    return await fn(m);
  } finally {
    await stopMember(m);
    removeDir(m.dataDir.replace(/\/data$/, ''));
  }
}

test('etcdctl lock and elect: Debian etcdctl on etcd-ts, ours on both, all as Debian etcdctl on real etcd', async () => {
  const reference = await withMember('real', (m) => transcript('real', m));
  assert.match(reference.execFails!, /^1\nran\nError: exit status 3$/);
  assert.match(reference.interruptedWaiter!, /^1\nError: context canceled$/);
  assert.equal(reference.firstHolder, '0\nh/<lease>\n\n');
  const realOnOurs = await withMember('ours', (m) => transcript('real', m));
  assert.deepEqual(realOnOurs, reference, 'Debian etcdctl against etcd-ts');
  const oursOnReal = await withMember('real', (m) => transcript('ours', m));
  assert.deepEqual(oursOnReal, reference, 'our etcdctl against real etcd');
  const oursOnOurs = await withMember('ours', (m) => transcript('ours', m));
  assert.deepEqual(oursOnOurs, reference, 'our etcdctl against etcd-ts');
});
