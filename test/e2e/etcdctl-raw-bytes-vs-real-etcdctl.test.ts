// Keys, values and names that are not UTF-8, given on the command line and on stdin:
// Go's etcdctl takes them as bytes, and so must ours. Each run goes through bash with
// $'\xNN' words, the only way to put arbitrary bytes into a child's argv (node's spawn
// encodes its string arguments as UTF-8). What lands in the store is read back with our
// client, as Buffers; what etcdctl prints is compared with Debian's etcdctl 3.4.23, byte
// for byte, both talking to the same etcd-ts member.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Client } from '../../src/client/client.js';
import { OUR_ETCDCTL, REAL_ETCDCTL, removeDir, startMember, stopMember, type Member } from '../helpers/processes.js';

type Ctl = 'ours' | 'real';
type Word = string | Buffer;

const DEADLINE_MS = 20_000;
const POLL_MS = 50;

let member: Member;
let client: Client;

before(async () => {
  member = await startMember('ours');
  client = new Client({ endpoints: [member.clientUrl], dialTimeoutMs: 2000, commandTimeoutMs: 5000 });
});

after(async () => {
  client.close();
  await stopMember(member);
  removeDir(member.dataDir);
});

const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');
const bytes = (...parts: Word[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p)));

/** A bash word for exactly these bytes. */
function shellWord(w: Word): string {
  const b = Buffer.from(w);
  return b.length === 0 ? "''" : `$'${Array.from(b, (x) => `\\x${x.toString(16).padStart(2, '0')}`).join('')}'`;
}

/** `env` is set by bash for the one command, so its values too can be any bytes. */
function commandLine(which: Ctl, args: Word[], env: Record<string, Word> = {}, endpoint = member.endpoint): string {
  const program = which === 'ours' ? [process.execPath, OUR_ETCDCTL] : [REAL_ETCDCTL];
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${shellWord(v)} `);
  return `${assignments.join('')}exec ${[...program, `--endpoints=${endpoint}`, ...args].map(shellWord).join(' ')}`;
}

interface Run {
  stdout: Buffer;
  stderr: Buffer;
  status: number | null;
}

function ctl(which: Ctl, args: Word[], input?: Buffer, env?: Record<string, Word>, endpoint?: string): Run {
  const r = spawnSync('bash', ['-c', commandLine(which, args, env, endpoint)], { input, env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** Every key and value in the store, as hex. */
async function store(): Promise<string[][]> {
  const r = await client.range({ key: hex('00'), rangeEnd: hex('00') });
  return r.kvs.map((kv) => [Buffer.from(kv.key).toString('hex'), Buffer.from(kv.value).toString('hex')]);
}

interface Step {
  args: Word[];
  input?: Buffer;
  env?: Record<string, Word>;
}

const TXN = bytes('value("\\xff\\xfe") = "\\x80v"\n\n', 'put "\\xfa" "a\\xfbb"\n', 'put ', hex('fcfd'), ' raw', hex('f0'), '\n', 'put "q', hex('f1'), '" x\n', 'get ', hex('fffe'), '\n\n\n');

const WRITES: Step[] = [
  { args: ['put', hex('fffe'), bytes(hex('80'), 'v')] },
  { args: ['put', bytes('s', hex('ff'))], input: hex('ff00fe0a') },
  { args: ['txn'], input: TXN },
  { args: ['put', bytes('d', hex('80')), '1'] },
  { args: ['del', bytes('d', hex('80')), '--prev-kv'] },
  { args: ['put', bytes('r', hex('c3')), bytes('1', hex('e9'))] },
  { args: ['put', bytes('r', hex('c3'), 'x'), '2', '--prev-kv'] },
];

/** What those writes leave, key and value in hex. */
const STORED = [
  ['71efbfbd', '78'], // raw bytes inside a quoted txn word read as U+FFFD, as Go's scanner reads them
  ['72c3', '31e9'],
  ['72c378', '32'],
  ['73ff', 'ff00fe0a'],
  ['fa', '61fb62'],
  ['fcfd', '726177f0'],
  ['fffe', '8076'],
];

test('put, del and txn store the bytes given, as the real etcdctl does', async () => {
  const runs: Record<Ctl, Run[]> = { real: [], ours: [] };
  for (const which of ['real', 'ours'] as const) {
    await client.deleteRange({ key: hex('00'), rangeEnd: hex('00') });
    runs[which] = WRITES.map((s) => ctl(which, s.args, s.input));
    assert.deepEqual(await store(), STORED, `${which} etcdctl`);
  }
  for (let i = 0; i < WRITES.length; i++) assert.deepEqual(runs.ours[i], runs.real[i], `step ${i}`);
  assert.deepEqual(runs.ours[4]!.stdout, bytes('1\n', 'd', hex('80'), '\n1\n'));
});

const READS: Step[] = [
  { args: ['get', hex('fffe')] },
  { args: ['get', 'r', '--prefix'] },
  { args: ['get', bytes('r', hex('c3')), bytes('r', hex('c4'))] },
  { args: ['get', '', '--prefix', '-w', 'fields'] },
  { args: ['get', '', '--prefix', '-w', 'json'] },
  { args: ['get', '', '--from-key', '--hex'] },
  { args: ['get', hex('ff'), '--prefix', '--print-value-only'] },
  { args: ['get', '', '--prefix', '--keys-only', '-w', 'table'] },
  { args: ['get', hex('fffe'), '--order', hex('fe')] },
  { args: ['txn'], input: bytes('value("\\xff\\xfe") = "\\x80v"\n\nget "\\377\\376"\n\nget x\n\n') },
  { args: ['txn', '-w', 'fields'], input: bytes('\nget ', hex('fcfd'), '\n\n\n') },
  { args: ['txn'], input: bytes('value("\\xff") = x\n\n\n\n') },
  { args: ['txn'], input: bytes('val', hex('ff'), '("a") = "1"\n\n\n\n') },
  { args: ['txn'], input: bytes('\nput "a\\q" b\n\n\n') },
  { args: ['get', 'k', '--consistency', hex('ff')] },
  { args: ['get', bytes('-', hex('ff')), 'k'] },
  { args: ['watch'], env: { ETCDCTL_WATCH_RANGE_END: hex('ff') } },
];

test('get and txn print keys and values as raw bytes, %q-quoted in -w fields, as the real etcdctl does', async () => {
  await client.deleteRange({ key: hex('00'), rangeEnd: hex('00') });
  for (const s of WRITES) assert.equal(ctl('ours', s.args, s.input).status, 0);
  for (const s of READS) {
    const real = ctl('real', s.args, s.input, s.env);
    assert.deepEqual(ctl('ours', s.args, s.input, s.env), real, `etcdctl ${s.args.map((a) => Buffer.from(a).toString('latin1')).join(' ')}`);
  }
  assert.deepEqual(ctl('ours', ['get', hex('fffe')]).stdout, hex('fffe 0a 8076 0a'));
  assert.ok(ctl('ours', ['get', hex('fffe'), '-w', 'fields']).stdout.includes('"Key" : "\\xff\\xfe"\n'));
});

/** A long-running etcdctl whose stdout is collected as bytes. */
class Running {
  readonly proc: ChildProcess;
  stdout = Buffer.alloc(0);
  private readonly exited: Promise<void>;

  constructor(which: Ctl, args: Word[], input?: Buffer) {
    this.proc = spawn('bash', ['-c', commandLine(which, args)], { env: { ...process.env, ETCDCTL_API: '3' } });
    this.proc.stdout!.on('data', (c: Buffer) => (this.stdout = Buffer.concat([this.stdout, c])));
    this.proc.stderr!.resume();
    if (input) this.proc.stdin!.write(input);
    this.exited = new Promise((r) => this.proc.once('exit', () => r()));
  }

  async until(what: string, cond: (out: Buffer) => boolean): Promise<void> {
    const deadline = Date.now() + DEADLINE_MS;
    while (!cond(this.stdout)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${this.stdout.toString('hex')}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** bash exec'd etcdctl, so the signal reaches it; SIGINT ends lock and elect cleanly. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    await this.exited;
  }
}

const lines = (n: number) => (out: Buffer) => out.filter((b) => b === 0x0a).length >= n;

test('watch prints events of a key given as raw bytes (and of watch -i lines) byte for byte as the real etcdctl', async () => {
  // The events are written first and replayed from their revision, so every watcher sees
  // exactly them, whenever it starts.
  const first = await client.put({ key: bytes('w', hex('ff01')), value: bytes('v', hex('80')) });
  const rev = String(first.header!.revision);
  await client.put({ key: bytes('w', hex('ff01')), value: bytes('v', hex('81')) });
  await client.put({ key: bytes('w', hex('fe')), value: Buffer.from('x') });
  await client.put({ key: bytes('w', hex('fdfc')), value: Buffer.from('y') });
  const plainEvents = bytes('PUT\nw', hex('ff01'), '\nv', hex('80'), '\nPUT\nw', hex('ff01'), '\nv', hex('80'), '\nw', hex('ff01'), '\nv', hex('81'), '\n');
  const seen: Record<string, Buffer[]> = {};
  for (const which of ['real', 'ours'] as const) {
    const plain = new Running(which, ['watch', bytes('w', hex('ff')), '--prefix', '--prev-kv', '--rev', rev]);
    const fields = new Running(which, ['watch', bytes('w', hex('ff')), '--prefix', '--prev-kv', '--rev', rev, '-w', 'fields']);
    const interactive = new Running(which, ['watch', '-i'], bytes(`watch "w\\xfe" --rev ${rev}\n`));
    try {
      await plain.until('two events', (o) => o.length >= plainEvents.length);
      await fields.until('two events', (o) => (o.toString('latin1').match(/"Lease"/g) ?? []).length >= 2);
      await interactive.until('the first line\'s event', lines(3));
      // The second line only now, so that the two watches' events come in a known order.
      interactive.proc.stdin!.write(bytes('watch w', hex('fd'), ` --prefix --rev ${rev}\n`));
      await interactive.until('the second line\'s event', lines(6));
      seen[which] = [plain.stdout, fields.stdout, interactive.stdout];
    } finally {
      await Promise.all([plain.stop('SIGKILL'), fields.stop('SIGKILL'), interactive.stop('SIGKILL')]);
    }
  }
  assert.deepEqual(seen.ours, seen.real);
  const [plain, fields, interactive] = seen.ours!;
  assert.deepEqual(plain, plainEvents);
  assert.ok(fields!.includes('"PrevValue" : "v\\x80"\n"PrevLease" : 0\n"Key" : "w\\xff\\x01"\n'), fields!.toString('latin1'));
  assert.deepEqual(interactive, bytes('PUT\nw', hex('fe'), '\nx\nPUT\nw', hex('fdfc'), '\ny\n'));
});

test('lock and elect take names and proposals as raw bytes, and print them raw', async () => {
  for (const which of ['real', 'ours'] as const) {
    const lock = new Running(which, ['lock', bytes('l', hex('ff'))]);
    const elect = new Running(which, ['elect', bytes('e', hex('fe')), bytes('p', hex('80'))]);
    try {
      await lock.until('the lock', lines(2));
      await elect.until('leadership', lines(2));
      // The lock key is the name, "/" and the session's lease in hex; then the (empty) value.
      assert.match(lock.stdout.toString('latin1'), /^l\xff\/[0-9a-f]+\n\n$/, which);
      assert.match(elect.stdout.toString('latin1'), /^e\xfe\/[0-9a-f]+\np\x80\n$/, which);
      const held = await client.range({ key: bytes('l', hex('ff'), '/'), rangeEnd: bytes('l', hex('ff'), '0') });
      assert.equal(held.kvs.length, 1, `${which}: one lock key under the raw name`);
      const leader = await client.range({ key: bytes('e', hex('fe'), '/'), rangeEnd: bytes('e', hex('fe'), '0') });
      assert.deepEqual(leader.kvs.map((kv) => Buffer.from(kv.value)), [bytes('p', hex('80'))], which);
    } finally {
      await Promise.all([lock.stop(), elect.stop()]);
    }
  }
});

test('role and user names go out and come back as raw bytes: a real etcd holds them as the real etcdctl leaves them', async () => {
  // etcd-ts's own server is not the subject here (it decodes names as UTF-8): real etcd keeps bytes.
  const real = await startMember('real');
  try {
    const role = bytes('r', hex('ff'), '<&>', hex('01'), '\u2028"');
    const user = bytes('u', hex('fe'));
    const steps: Word[][] = [
      ['role', 'add', role],
      ['role', 'list'],
      ['role', 'list', '-w', 'json'],
      ['role', 'list', '-w', 'fields'],
      ['role', 'grant-permission', role, 'read', bytes('k', hex('fe')), bytes('k', hex('ff'))],
      ['role', 'get', role],
      ['user', 'add', user, bytes('--new-user-password=p', hex('fd'))],
      ['user', 'grant-role', user, role],
      ['user', 'list'],
      ['user', 'get', user],
      ['user', 'get', user, '-w', 'json'],
      ['user', 'revoke-role', user, role],
      ['user', 'delete', user],
      ['role', 'revoke-permission', role, bytes('k', hex('fe')), bytes('k', hex('ff'))],
      ['role', 'delete', role],
    ];
    const runs: Record<Ctl, Run[]> = { real: [], ours: [] };
    for (const which of ['real', 'ours'] as const) runs[which] = steps.map((args) => ctl(which, args, undefined, undefined, real.endpoint));
    // Only the header's revision moves on between the two runs.
    const sameRevision = (r: Run): Run => ({ ...r, stdout: Buffer.from(r.stdout.toString('latin1').replace(/"revision":\d+|"Revision" : \d+/g, 'REV'), 'latin1') });
    for (let i = 0; i < steps.length; i++) assert.deepEqual(sameRevision(runs.ours[i]!), sameRevision(runs.real[i]!), `step ${i}`);
    assert.deepEqual(runs.ours[1]!.stdout, bytes(role, '\n'));
    assert.deepEqual(runs.ours[8]!.stdout, bytes(user, '\n'));
  } finally {
    await stopMember(real);
    removeDir(real.dataDir);
  }
});
