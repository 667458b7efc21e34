// No server needed: check perf's verdict and counter lines, and how watch's words (command
// line, ETCDCTL_WATCH_*, --interactive lines) become a watch, each against what etcdctl
// 3.4.23 prints for the same case (recorded from Debian's etcdctl, see the comments).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barLine, judgePerf, perfProfile } from '../../src/cli/etcdctl/check-perf-command.js';
import { CtlError } from '../../src/cli/etcdctl/errors.js';
import { replaceFirst, txnsForEvents } from '../../src/cli/etcdctl/make-mirror-command.js';
import { checkWatchEnv, parseCommandLine, parseInteractiveLine, watchRange } from '../../src/cli/etcdctl/watch-args.js';
import { Event_EventType, type Event } from '../../src/gen/mvccpb/kv.js';

const noEnv = { key: '', rangeEnd: '' };

function ctlError(fn: () => unknown): { message: string; exitCode: number } {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CtlError, String(e));
    return { message: e.message, exitCode: e.exitCode };
  }
  assert.fail('no error');
}

test('check perf passes a run like real etcd’s and prints its lines', () => {
  // Debian's etcdctl against etcd 3.4.23 on this machine printed exactly these lines.
  const v = judgePerf({ rps: 143.2, slowest: 0.30584, stddev: 0.019029 }, new Map(), 150);
  assert.deepEqual(v, { ok: true, lines: ['PASS: Throughput is 144 writes/s', 'PASS: Slowest request took 0.305840s', 'PASS: Stddev is 0.019029s', 'PASS'] });
});

test('check perf fails on each criterion with etcdctl’s wording', () => {
  // 90% of the rate exactly is too low; etcdctl reports int(rps)+1.
  const low = judgePerf({ rps: 135, slowest: 0.5, stddev: 0.1 }, new Map(), 150);
  assert.deepEqual(low, { ok: false, lines: ['FAIL: Throughput too low: 136 writes/s', 'PASS: Slowest request took 0.500000s', 'PASS: Stddev is 0.100000s', 'FAIL'] });
  const slow = judgePerf({ rps: 149.5, slowest: 0.5000001, stddev: 0.1000001 }, new Map(), 150);
  assert.deepEqual(slow.lines, ['PASS: Throughput is 150 writes/s', 'Slowest request took too long: 0.500000s', 'Stddev too high: 0.100000s', 'FAIL']);
  const errs = judgePerf({ rps: 1000, slowest: 0.01, stddev: 0.001 }, new Map([['etcdserver: too many requests', 3]]), 1000);
  assert.deepEqual(errs, {
    ok: false,
    lines: ['FAIL: too many errors', 'FAIL: ERROR(etcdserver: too many requests) -> 3', 'PASS: Throughput is 1001 writes/s', 'PASS: Slowest request took 0.010000s', 'PASS: Stddev is 0.001000s', 'FAIL'],
  });
});

test('check perf workloads and their aliases; an unknown one is refused with exit 4', () => {
  assert.deepEqual(perfProfile('s'), { limit: 150, clients: 50, durationSecs: 60 });
  assert.deepEqual(perfProfile('medium'), { limit: 1000, clients: 200, durationSecs: 60 });
  assert.deepEqual(perfProfile('large'), { limit: 8000, clients: 500, durationSecs: 60 });
  assert.deepEqual(perfProfile('xLarge'), { limit: 15000, clients: 1000, durationSecs: 60 });
  assert.deepEqual(ctlError(() => perfProfile('xlarge')), { message: 'unknown load option xlarge', exitCode: 4 });
  assert.deepEqual(ctlError(() => perfProfile('toString')), { message: 'unknown load option toString', exitCode: 4 });
});

test('check perf counter lines as etcdctl draws them without a terminal', () => {
  assert.equal(barLine(0, 60, 0), '\r 0 / 60   0.00%');
  assert.equal(barLine(9, 60, 9), '\r 9 / 60  15.00% 00m51s');
  assert.equal(barLine(60, 60, 60.2), '\r 60 / 60  100.00% 1m0s');
});

test('watch command line: separator, environment key and conflicts', () => {
  assert.deepEqual(parseCommandLine(['foo', 'bar'], -1, noEnv), { words: ['foo', 'bar'], exec: [] });
  assert.deepEqual(parseCommandLine(['foo', 'echo', 'hi'], 1, noEnv), { words: ['foo'], exec: ['echo', 'hi'] });
  // etcdctl cuts at the last word equal to the command: `watch k -- echo echo` watches k to "echo".
  assert.deepEqual(parseCommandLine(['k', 'echo', 'echo'], 1, noEnv), { words: ['k', 'echo'], exec: ['echo', 'echo'] });
  assert.deepEqual(ctlError(() => parseCommandLine(['foo'], 1, noEnv)), { message: 'bad number of arguments (found separator --, but no commands)', exitCode: 128 });
  const env = { key: '/p/c', rangeEnd: '/p/e' };
  assert.deepEqual(parseCommandLine([], -1, env), { words: ['/p/c', '/p/e'], exec: [] });
  assert.deepEqual(parseCommandLine(['echo', 'x'], 0, env), { words: ['/p/c', '/p/e'], exec: ['echo', 'x'] });
  assert.deepEqual(ctlError(() => parseCommandLine(['x'], -1, env)), { message: 'bad number of arguments (found conflicting environment key)', exitCode: 128 });
  assert.deepEqual(ctlError(() => parseCommandLine(['x', 'echo'], 1, env)), { message: 'bad number of arguments (found conflicting environment key)', exitCode: 128 });
  assert.deepEqual(ctlError(() => checkWatchEnv({ key: '', rangeEnd: '/p/d' })), { message: 'ETCDCTL_WATCH_KEY is empty but got ETCDCTL_WATCH_RANGE_END="/p/d"', exitCode: 128 });
});

test('watch range: a key is needed, range_end excludes --prefix, a third word is ignored', () => {
  assert.deepEqual(watchRange({ words: ['a', 'b', 'c'], prefix: false }), { key: 'a' });
  assert.deepEqual(watchRange({ words: ['a', 'b'], prefix: false }), { key: 'a', rangeEnd: 'b' });
  assert.deepEqual(ctlError(() => watchRange({ words: ['a', 'b'], prefix: true })), { message: '`range_end` and `--prefix` are mutually exclusive', exitCode: 128 });
  assert.deepEqual(ctlError(() => watchRange({ words: [], prefix: false })), { message: 'bad number of arguments', exitCode: 128 });
});

test('watch --interactive lines: flags per line, pflag errors, exec after --', () => {
  assert.deepEqual(parseInteractiveLine(['watch', '/p/', '--prefix', '--rev', '6', '--prev-kv'], noEnv), { words: ['/p/'], exec: [], prefix: true, prevKv: true, rev: 6n });
  assert.deepEqual(parseInteractiveLine(['watch', '/p/c', '--rev', '7', '--', 'echo', 'hi'], noEnv), { words: ['/p/c'], exec: ['echo', 'hi'], prefix: false, prevKv: false, rev: 7n });
  assert.deepEqual(ctlError(() => parseInteractiveLine(['watch', '/p/c', '-w', 'json'], noEnv)), { message: "unknown shorthand flag: 'w' in -w", exitCode: 128 });
  assert.deepEqual(ctlError(() => parseInteractiveLine(['watch', 'x', '--help'], noEnv)), { message: 'pflag: help requested', exitCode: 128 });
  assert.deepEqual(ctlError(() => parseInteractiveLine(['watch', 'x', '--'], noEnv)), { message: 'bad number of arguments (found separator --, but no commands)', exitCode: 128 });
  assert.deepEqual(ctlError(() => parseInteractiveLine(['watch', '--rev', '3'], noEnv)), { message: 'bad number of arguments', exitCode: 128 });
  assert.deepEqual(parseInteractiveLine(['watch', '--prefix'], { key: '/p/', rangeEnd: '' }), { words: ['/p/'], exec: [], prefix: true, prevKv: false, rev: 0n });
});

test('make-mirror renames keys as Go’s strings.Replace(key, prefix, dest, 1) and groups events by revision', () => {
  const b = (s: string) => Buffer.from(s);
  assert.equal(replaceFirst(b('/p/x/p/'), b('/p/'), b('/q/')).toString(), '/q/x/p/');
  assert.equal(replaceFirst(b('foo'), b(''), b('x/')).toString(), 'x/foo');
  assert.equal(replaceFirst(b('/p/x'), b('/p/'), b('')).toString(), 'x');
  const ev = (type: Event_EventType, key: string, rev: bigint): Event =>
    ({ type, kv: { key: b(key), value: b('v'), modRevision: rev, createRevision: rev, version: 1n, lease: 0n } }) as Event;
  const txns = txnsForEvents([ev(Event_EventType.PUT, '/p/a', 5n), ev(Event_EventType.PUT, '/p/b', 6n), ev(Event_EventType.DELETE, '/p/a', 6n)], (k) => replaceFirst(k, b('/p/'), b('/q/')));
  assert.deepEqual(
    txns.map((ops) => ops.map((o) => (o.requestPut ? `put ${Buffer.from(o.requestPut.key)}` : `del ${Buffer.from(o.requestDeleteRange!.key)}`))),
    [['put /q/a'], ['put /q/b', 'del /q/a']],
  );
});
