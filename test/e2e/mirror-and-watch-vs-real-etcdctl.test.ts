// Long-running etcdctl commands against Debian's etcdctl 3.4.23: make-mirror (real etcd
// into etcd-ts, etcd-ts into real etcd) must leave the destination as the real one does;
// watch --interactive fed the same lines, and watch -w fields|protobuf|table, must print
// the same bytes and exit the same way. Every wait polls for a condition with a deadline.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { etcdctl, OUR_ETCDCTL, REAL_ETCDCTL, removeDir, startMember, stopMember, type Member } from '../helpers/processes.js';

const DEADLINE_MS = 20_000;
const POLL_MS = 50;

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** A running etcdctl whose output is collected as it comes. */
class Running {
  readonly proc: ChildProcess;
  stdout = Buffer.alloc(0);
  stderr = '';
  exit: number | null = null;
  private readonly exited: Promise<void>;

  constructor(which: 'ours' | 'real', args: string[]) {
    const [cmd, argv] = which === 'ours' ? [process.execPath, [OUR_ETCDCTL, ...args]] : [REAL_ETCDCTL, args];
    this.proc = spawn(cmd, argv, { env: { ...process.env, ETCDCTL_API: '3' } });
    this.proc.stdout!.on('data', (c: Buffer) => (this.stdout = Buffer.concat([this.stdout, c])));
    this.proc.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.exited = new Promise((r) => this.proc.once('exit', (code) => ((this.exit = code), r())));
  }

  get out(): string {
    return this.stdout.toString();
  }

  write(line: string): void {
    this.proc.stdin!.write(`${line}\n`);
  }

  async closeInput(): Promise<void> {
    this.proc.stdin!.end();
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.exit === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
  }
}

function ctl(m: Member, args: string[], input?: string): string {
  const r = etcdctl('real', ['--endpoints', m.endpoint, ...args], input);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const maskIds = (s: string) => s.replace(/"cluster_id":\d+/g, '"cluster_id":0').replace(/"member_id":\d+/g, '"member_id":0');
const dump = (m: Member) => maskIds(ctl(m, ['get', '', '--prefix', '-w', 'json']));
const keysValues = (m: Member) => ctl(m, ['get', '', '--prefix']);

async function members(t: { after: (fn: () => Promise<void>) => void }, kinds: Array<'ours' | 'real'>): Promise<Member[]> {
  const ms = await Promise.all(kinds.map((k) => startMember(k)));
  t.after(async () => {
    for (const m of ms) {
      await stopMember(m);
      removeDir(m.dataDir);
    }
  });
  return ms;
}

test('make-mirror: base copy, then each revision as one txn, from real etcd to etcd-ts and from etcd-ts to real etcd', async (t) => {
  const [src, realDest, ourDest, back1, back2] = await members(t, ['real', 'real', 'ours', 'real', 'real']);
  // Usage errors first: same text and exit code.
  for (const args of [[], ['a', 'b'], ['--dest-prefix', 'x', '--no-dest-prefix', ourDest!.endpoint]]) {
    const mine = etcdctl('ours', ['--endpoints', src!.endpoint, 'make-mirror', ...args]);
    const theirs = etcdctl('real', ['--endpoints', src!.endpoint, 'make-mirror', ...args]);
    assert.deepEqual([mine.status, mine.stdout, mine.stderr], [theirs.status, theirs.stdout, theirs.stderr], args.join(' '));
  }
  ctl(src!, ['put', '/p/a', '1']);
  ctl(src!, ['put', '/p/b', '2']);
  ctl(src!, ['put', '/other', 'x']);
  const mirror = (which: 'ours' | 'real', from: Member, to: Member, flags: string[]) => new Running(which, ['--endpoints', from.endpoint, 'make-mirror', ...flags, to.endpoint]);
  const runs = [mirror('real', src!, realDest!, ['--prefix', '/p/', '--dest-prefix', '/q/']), mirror('ours', src!, ourDest!, ['--prefix', '/p/', '--dest-prefix', '/q/'])];
  t.after(async () => {
    for (const r of runs) await r.stop();
  });
  const base = '/q/a\n1\n/q/b\n2\n';
  await until('the base copy', () => keysValues(realDest!) === base && keysValues(ourDest!) === base);
  ctl(src!, ['put', '/p/c', '3']);
  ctl(src!, ['del', '/p/a']);
  ctl(src!, ['txn'], '\nput /p/d 4\ndel /p/b\nput /other y\n\n\n');
  const live = '/q/c\n3\n/q/d\n4\n';
  await until('the live updates', () => keysValues(realDest!) === live && keysValues(ourDest!) === live);
  // Same revisions too: one put per key, then one txn per source revision.
  assert.equal(dump(ourDest!), dump(realDest!));
  assert.match(dump(ourDest!), /"revision":6,/);

  // Back out of etcd-ts into real etcd, to the root of the destination.
  const back = [mirror('real', ourDest!, back1!, ['--prefix', '/q/', '--no-dest-prefix']), mirror('ours', ourDest!, back2!, ['--prefix', '/q/', '--no-dest-prefix'])];
  runs.push(...back);
  await until('the copy out of etcd-ts', () => keysValues(back1!) === 'c\n3\nd\n4\n' && keysValues(back2!) === 'c\n3\nd\n4\n');
  ctl(ourDest!, ['put', '/q/e', '5']);
  await until('the update out of etcd-ts', () => keysValues(back1!).endsWith('e\n5\n') && keysValues(back2!).endsWith('e\n5\n'));
  assert.equal(dump(back2!), dump(back1!));
  // Under 30 s neither has printed its count yet, and neither has failed.
  for (const r of runs) assert.deepEqual([r.out, r.exit], ['', null], r.stderr);
});

/** Feeds lines one at a time, each once the previous one has shown its effect. */
async function interactive(which: 'ours' | 'real', m: Member, format: string): Promise<string> {
  const r = new Running(which, ['--endpoints', m.endpoint, '-w', format, 'watch', '-i']);
  try {
    const errLines = (n: number) => () => r.stderr.split('\n').length > n;
    r.write('watch /w/ --prefix --rev 2');
    await until('the compacted watch', () => r.stderr.includes('compacted'));
    r.write('watch /w/ --prefix --rev 3 --prev-kv');
    await until('the replay', () => r.out.includes('DELETE') || r.out.includes('"type":1'));
    for (const [i, l] of ['get x', '', 'watch', 'watch a b --prefix'].entries()) {
      r.write(l);
      await until(`the answer to "${l}"`, errLines(i + 2));
    }
    r.write('progress');
    await until('the progress notification', () => r.out.includes('progress notify: 4'));
    await r.closeInput();
    return `${r.exit}\n${maskIds(r.out)}\n${r.stderr}`;
  } finally {
    await r.stop();
  }
}

test('watch -i and watch -w fields|protobuf|table print what Debian’s etcdctl prints', async (t) => {
  const [m] = await members(t, ['real']);
  ctl(m!, ['put', '/w/a', '1']);
  ctl(m!, ['put', '/w/b', '2']);
  ctl(m!, ['del', '/w/a']);
  ctl(m!, ['compaction', '3']);
  for (const format of ['simple', 'json']) {
    assert.equal(await interactive('ours', m!, format), await interactive('real', m!, format), `-w ${format}`);
  }
  // Replays arrive in one response; each etcdctl is stopped once it printed that much.
  for (const format of ['fields', 'protobuf']) {
    const seen: Buffer[] = [];
    for (const which of ['real', 'ours'] as const) {
      const r = new Running(which, ['--endpoints', m!.endpoint, '-w', format, 'watch', '/w/', '--prefix', '--rev', '3', '--prev-kv']);
      await until(`${which} -w ${format}`, () => (seen.length === 0 ? r.stdout.length > 0 && (format !== 'fields' || r.out.endsWith('"Lease" : 0\n') && r.out.includes('DELETE')) : r.stdout.length >= seen[0]!.length));
      await r.stop();
      seen.push(r.stdout);
    }
    assert.deepEqual(seen[1], seen[0], `-w ${format}`);
  }
  const table = (which: 'ours' | 'real') => etcdctl(which, ['--endpoints', m!.endpoint, '-w', 'table', 'watch', '/w/', '--prefix', '--rev', '3']);
  const [mine, theirs] = [table('ours'), table('real')];
  assert.deepEqual([mine.status, mine.stdout, mine.stderr], [theirs.status, theirs.stdout, theirs.stderr]);
  assert.equal(theirs.status, 4);
});
