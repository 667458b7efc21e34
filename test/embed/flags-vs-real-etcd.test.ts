// Bad command lines get etcd's answer: the same stderr and exit code for Go flag errors
// (identical in etcd 3.4 and 3.5), and for verification errors the same
// "failed to verify flags" error text that real etcd logs with its zap logger (3.5's
// default, selected on 3.4 with --logger=zap).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUR_ETCD, REAL_ETCD } from '../helpers/processes.js';
import { runArgs } from './capture.js';

/** Real etcd in a throwaway directory; a bounded timeout in case a case would start a member. */
function real(args: string[], env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'real-etcd-flags-'));
  const r = spawnSync(REAL_ETCD, args, { encoding: 'utf8', timeout: 20_000, cwd: dir, env: { PATH: process.env.PATH, ...env } });
  rmSync(dir, { recursive: true, force: true });
  return r;
}

const FLAG_ERRORS: string[][] = [
  ['--bogus'],
  ['-bogus=1'],
  ['---x'],
  ['-=x'],
  ['--heartbeat-interval', 'abc'],
  ['--heartbeat-interval='],
  ['--quota-backend-bytes', 'abc'],
  ['--snapshot-count=-1'],
  ['--snapshot-count', '99999999999999999999'],
  ['--max-concurrent-streams', 'abc'],
  ['--pre-vote=maybe'],
  ['--initial-cluster-state', 'foo'],
  ['--discovery-fallback', 'x'],
  ['--proxy', 'x'],
  ['--listen-client-urls', 'foo'],
  ['--listen-client-urls', 'http://localhost'],
  ['--listen-client-urls', 'http://127.0.0.1:2379/'],
  ['--listen-client-urls', 'http://a:x'],
  ['--listen-peer-urls', 'ftp://127.0.0.1:2380'],
  ['--cors', 'foo'],
  ['--election-timeout'],
  // Go's %q, not JSON's escapes: \x01, \a, \v, \x7f, \u0085 and \u200b; é and 😀 as they are.
  ['--snapshot-count=\x01é'],
  ['--snapshot-count', 'a\x7fb\u0085\u200b😀'],
  ['--pre-vote=\x07\b\f\v"\\'],
];

for (const args of FLAG_ERRORS) {
  test(`flag error like etcd (stderr and exit 2): ${args.join(' ')}`, () => {
    const want = real(args);
    const got = runArgs(args);
    assert.equal(got.exitCode, want.status);
    assert.equal(got.stderr, want.stderr);
    assert.equal(got.stdout, '');
  });
}

test("bin/etcd refuses a bad flag with etcd's first line and exit code", () => {
  const ours = spawnSync(process.execPath, [OUR_ETCD, '--bogus'], { encoding: 'utf8', timeout: 20_000 });
  const want = real(['--bogus']);
  assert.equal(ours.status, want.status);
  assert.equal(ours.stderr.split('\n')[0], want.stderr.split('\n')[0]);
});

// Invalid UTF-8 cannot go through spawn's string arguments: bash hands the bytes over.
const RAW_BYTE_ARGS = [`--snapshot-count=$'\\xffa\\xe2\\x82'`, `$'--\\xff'`, `--pre-vote=$'\\xc0\\x80'`];

for (const words of RAW_BYTE_ARGS) {
  test(`bin/etcd quotes invalid UTF-8 in a flag error as etcd does (the bytes, not U+FFFD): ${words}`, () => {
    const run = (...cmd: string[]) => spawnSync('bash', ['-c', `exec "$@" ${words}`, 'bash', ...cmd], { timeout: 20_000 });
    const want = run(REAL_ETCD);
    const ours = run(process.execPath, OUR_ETCD);
    assert.equal(ours.status, want.status);
    assert.equal(ours.stderr.toString('latin1'), want.stderr.toString('latin1'));
  });
}

const VERIFY_ERRORS: string[][] = [
  ['extra'],
  ['--name', 'x', 'extra'],
  ['-'],
  ['--heartbeat-interval', '300'],
  ['--election-timeout', '60000'],
  ['--heartbeat-interval', '0'],
  ['--auto-compaction-mode', 'x'],
  ['--listen-client-urls', 'http://127.0.0.1:2379'],
  ['--listen-client-urls', 'http://example.com:2379', '--advertise-client-urls', 'http://example.com:2379'],
  ['--discovery', 'http://x', '--initial-cluster', 'a=http://localhost:2380'],
  ['--logger', 'foo'],
];

function verifyError(logs: Record<string, unknown>[]): unknown {
  return logs.find((l) => l.msg === 'failed to verify flags')?.error;
}

for (const args of VERIFY_ERRORS) {
  test(`verification error like etcd's zap logger (exit 1): ${args.join(' ')}`, () => {
    // --logger=zap goes first so that stray arguments stay last.
    const want = real(['--logger=zap', ...args]);
    const got = runArgs(args);
    assert.equal(got.exitCode, want.status);
    const wantLines = want.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // etcd 3.4 reports errors found before its logger exists through capnslog.
    const wantError = verifyError(wantLines) ?? /error verifying flags, (.*)\. See 'etcd --help'\./.exec(want.stderr)?.[1];
    assert.equal(verifyError(got.logs), wantError);
    assert.deepEqual(got.logs.find((l) => l.msg === 'Running: ')?.args, ['etcd', ...args]);
    assert.equal(got.logs.find((l) => l.msg === 'failed to verify flags')?.level, 'warn');
  });
}

test("a bad ETCD_* value is quoted with Go's %q in the verification error, as etcd does", () => {
  const env = { ETCD_SNAPSHOT_COUNT: '\x01é\x7f' };
  const want = real(['--logger=zap'], env);
  const wantError = /error verifying flags, (.*)\. See 'etcd --help'\./.exec(want.stderr)?.[1];
  assert.equal(wantError, 'invalid value "\\x01é\\x7f" for ETCD_SNAPSHOT_COUNT: parse error');
  const got = runArgs([], env);
  assert.equal(got.exitCode, want.status);
  assert.equal(verifyError(got.logs), wantError);
});

test('--listen-client-urls without --advertise-client-urls also warns "advertise client URLs are not set", as etcd does', () => {
  const got = runArgs(['--listen-client-urls', 'http://127.0.0.1:2379']);
  assert.deepEqual(
    got.logs.slice(-2).map((l) => [l.level, l.msg]),
    [
      ['warn', 'failed to verify flags'],
      ['warn', 'advertise client URLs are not set'],
    ],
  );
});

test('an unknown --log-level panics like zap: exit 2, Go panic text on stderr', () => {
  const got = runArgs(['--log-level', 'foo']);
  assert.equal(got.exitCode, 2);
  assert.match(got.stderr, /^panic: unrecognized level: "foo"\n\ngoroutine 1 \[running\]:/);
});

test('-h/--help: usage on stderr, the flag reference on stdout, exit 0 (same framing as etcd)', () => {
  const want = real(['--help']);
  const got = runArgs(['--help']);
  assert.equal(got.exitCode, want.status);
  assert.equal(got.stderr, want.stderr);
  assert.ok(got.stdout.startsWith("\nMember:\n  --name 'default'\n"));
  assert.ok(got.stdout.endsWith('CAUTIOUS with unsafe flag! It may break the guarantees given by the consensus protocol!\n\n'));
  for (const flag of ['--listen-client-http-urls', '--v2-deprecation', '--experimental-compact-hash-check-time', '--socket-reuse-address']) {
    assert.ok(got.stdout.includes(`  ${flag} `), flag);
  }
});

test('--version: the four-line block on stdout, exit 0', () => {
  const got = runArgs(['--version']);
  assert.equal(got.exitCode, 0);
  assert.match(got.stdout, /^etcd Version: 3\.5\.17\nGit SHA: etcd-ts\nGo Version: node\d+\.\d+\.\d+\nGo OS\/Arch: linux\/(amd64|arm64)\n$/);
});
