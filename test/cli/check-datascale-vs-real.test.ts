// etcdctl check datascale: our etcdctl and etcdctl 3.4.23 against real etcd, and real
// etcdctl against etcd-ts (which must serve process_resident_memory_bytes on /metrics),
// give the same lines and exit codes once the numbers that vary from run to run (progress
// frames, revisions, megabytes, seconds, ports) are normalized.

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { countBarLine, datascaleProfile, memoryVerdict, residentMemoryFrom } from '../../src/cli/etcdctl/check-datascale-command.js';
import { CtlError } from '../../src/cli/etcdctl/errors.js';
import { Output } from '../../src/cli/etcdctl/output.js';
import { OUR_ETCDCTL, REAL_ETCDCTL, removeDir, startMember, stopMember, tempDir, type Member } from '../helpers/processes.js';

/** A run of the small load takes a few seconds with etcdctl, more with ours on a busy machine. */
const RUN_TIMEOUT_MS = 120_000;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function ctl(which: 'ours' | 'real', endpoint: string, args: string[]): Run {
  const [cmd, argv] = which === 'ours' ? [process.execPath, [OUR_ETCDCTL]] : [REAL_ETCDCTL, []];
  const r = spawnSync(cmd, [...argv, '--endpoints', endpoint, ...args], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: RUN_TIMEOUT_MS });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const FRAME = /^ \d+ \/ 10000 {2}[ \d]{2}\d\.\d\d%( \d\dm\d\ds)?$/;
const LAST_FRAME = /^ 10000 \/ 10000 {2}100\.00% (\d+m)?\d+s$/;

/** The output with its progress frames checked and dropped, and run-specific numbers masked. */
function normalize(stdout: string, endpoint: string): string {
  const lines = stdout.split('\n');
  const out: string[] = [];
  for (const line of lines) {
    if (!line.includes('\r')) {
      out.push(line);
      continue;
    }
    const frames = line.split('\r');
    assert.equal(frames[0], '', `progress line starts with a carriage return: ${JSON.stringify(line.slice(0, 80))}`);
    const last = frames[frames.length - 1]!;
    // etcdctl's progress bar may draw its finished frame twice: its refresh timer can fire
    // between the bar being marked finished and the final draw. So the frame just before the
    // last may already be a finished one; anything earlier must be a counting frame.
    const middle = frames.slice(1, -1);
    middle.forEach((f, i) => assert.match(f, i === middle.length - 1 && LAST_FRAME.test(f) ? LAST_FRAME : FRAME));
    assert.match(last, LAST_FRAME);
    out.push('<progress>');
  }
  return out.join('\n')
    .replaceAll(endpoint, '<endpoint>')
    .replace(/revision \d+/g, 'revision <rev>')
    .replace(/used : -?\d+\.\d\d MB\./, 'used : <mb> MB.');
}

const EXPECTED = [
  'Start data scale check for work load [10000 key-value pairs, 1024 bytes per key-value, 50 concurrent clients].',
  '<progress>',
  'Compacting with revision <rev>',
  'Compacted with revision <rev>',
  'Defragmenting "<endpoint>"',
  'Defragmented "<endpoint>"',
  'PASS: Approximate system memory used : <mb> MB.',
  '',
].join('\n');

let real: Member;
let ours: Member;
const dirs: string[] = [];

before(async () => {
  const [a, b] = [tempDir('datascale-real-'), tempDir('datascale-ours-')];
  dirs.push(a, b);
  [real, ours] = await Promise.all([startMember('real', { dataDir: `${a}/data` }), startMember('ours', { dataDir: `${b}/data` })]);
});

after(async () => {
  await Promise.all([real, ours].filter((m) => m !== undefined).map((m) => stopMember(m)));
  for (const d of dirs) removeDir(d);
});

test('check datascale --auto-compact --auto-defrag: ours and etcdctl 3.4.23 print the same lines against real etcd', () => {
  const theirs = ctl('real', real.endpoint, ['check', 'datascale', '--auto-compact', '--auto-defrag']);
  const mine = ctl('ours', real.endpoint, ['check', 'datascale', '--auto-compact', '--auto-defrag']);
  assert.equal(theirs.status, 0, theirs.stderr);
  assert.equal(normalize(theirs.stdout, real.endpoint), EXPECTED);
  assert.deepEqual({ status: mine.status, stdout: normalize(mine.stdout, real.endpoint), stderr: mine.stderr }, { status: 0, stdout: EXPECTED, stderr: theirs.stderr });
});

test('check datascale from etcdctl 3.4.23 against etcd-ts passes and reads its memory metric', () => {
  const r = ctl('real', ours.endpoint, ['check', 'datascale', '--auto-compact', '--auto-defrag', '--prefix', '/ds/']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(normalize(r.stdout, ours.endpoint), EXPECTED);
  assert.equal(r.stderr, '');
});

test('check datascale refuses an unknown load (exit 4) and a prefix that has keys (exit 3) as etcdctl does', () => {
  for (const args of [['--load', 'huge'], ['--load', 'xlarge']]) {
    const [theirs, mine] = [ctl('real', real.endpoint, ['check', 'datascale', ...args]), ctl('ours', real.endpoint, ['check', 'datascale', ...args])];
    assert.equal(theirs.status, 4);
    assert.deepEqual(mine, theirs);
  }
  assert.equal(ctl('real', real.endpoint, ['put', '/busy/k', 'v']).status, 0);
  const [theirs, mine] = [ctl('real', real.endpoint, ['check', 'datascale', '--prefix', '/busy/']), ctl('ours', real.endpoint, ['check', 'datascale', '--prefix', '/busy/'])];
  assert.deepEqual(theirs, { status: 3, stdout: '', stderr: 'Error: prefix "/busy/" has keys. Delete with etcdctl del --prefix /busy/ first\n' });
  assert.deepEqual(mine, theirs);
});

test('check datascale workloads, counter frames and verdict as etcdctl 3.4.23 prints them', () => {
  assert.deepEqual(datascaleProfile('s'), { pairs: 10_000, kvBytes: 1024, clients: 50 });
  assert.deepEqual(datascaleProfile('medium'), { pairs: 100_000, kvBytes: 1024, clients: 200 });
  assert.deepEqual(datascaleProfile('l'), { pairs: 1_000_000, kvBytes: 1024, clients: 500 });
  assert.deepEqual(datascaleProfile('xLarge'), { pairs: 3_000_000, kvBytes: 1024, clients: 1000 });
  assert.throws(() => datascaleProfile('toString'), (e) => e instanceof CtlError && e.exitCode === 4);
  // Frames seen from etcdctl 3.4.23 (10000 pairs against real etcd on this machine).
  assert.equal(countBarLine(0, 10000, 0, false), '\r 0 / 10000    0.00%');
  assert.equal(countBarLine(445, 10000, 0.2, false), '\r 445 / 10000    4.45% 00m04s');
  assert.equal(countBarLine(7515, 10000, 2.6, false), '\r 7515 / 10000   75.15%');
  assert.equal(countBarLine(10000, 10000, 3.4, true), '\r 10000 / 10000  100.00% 3s');
  assert.equal(countBarLine(10000, 10000, 75, true), '\r 10000 / 10000  100.00% 1m15s');
  assert.equal(memoryVerdict(100 * 1024 * 1024, 145.69 * 1024 * 1024), 'PASS: Approximate system memory used : 45.69 MB.');
  assert.equal(memoryVerdict(2 * 1024 * 1024, 1024 * 1024), 'PASS: Approximate system memory used : -1.00 MB.');
  const sink = new Output();
  assert.equal(residentMemoryFrom('# HELP process_resident_memory_bytes x\nprocess_resident_memory_bytes 4.5056e+07\n', sink), 45_056_000);
  assert.equal(residentMemoryFrom('other 1\n', sink), 0);
  assert.equal(sink.bytes().toString(), 'could not find: process_resident_memory_bytes\n');
});
