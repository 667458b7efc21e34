// The member's logger writes etcd 3.5's zap JSON lines: key order, ts format, levels,
// component callers, file outputs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkLogOutputs, createLogger, formatZapTime, parseLogLevel } from '../../src/embed/logger.js';
import { MSG, publishedFields, publishedLine } from '../../src/embed/log-messages.js';

function capture(level: string) {
  const lines: string[] = [];
  const log = createLogger(level, ['stderr'], { stream: { write: (s: string) => void lines.push(s) } });
  return { log, lines };
}

test('lines are {"level","ts","caller","msg",fields...} with errors as their message', () => {
  const { log, lines } = capture('info');
  log.child('embed/serve.go').info(MSG.servingInsecure, { address: '127.0.0.1:2379', error: new Error('boom') });
  const line = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.deepEqual(Object.keys(line), ['level', 'ts', 'caller', 'msg', 'address', 'error']);
  assert.equal(line.level, 'info');
  assert.equal(line.caller, 'embed/serve.go');
  assert.equal(line.msg, 'serving client traffic insecurely; this is strongly discouraged!');
  assert.equal(line.error, 'boom');
  assert.match(String(line.ts), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d{4})$/);
});

test('--log-level filters; zap level names, upper case accepted', () => {
  const { log, lines } = capture('warn');
  log.info('hidden');
  log.warn('shown');
  log.with({ 'local-member-id': '8e9e05c52164694d' }).error('also shown');
  assert.deepEqual(lines.map((l) => (JSON.parse(l) as { level: string }).level), ['warn', 'error']);
  assert.equal((JSON.parse(lines[1]!) as Record<string, string>)['local-member-id'], '8e9e05c52164694d');
  assert.equal(parseLogLevel('DEBUG'), 'debug');
  assert.equal(parseLogLevel(''), 'info');
  assert.throws(() => parseLogLevel('verbose'), { message: 'unrecognized level: "verbose"' });
});

test('file outputs are appended to; an unopenable path fails like zap', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logger-'));
  try {
    const path = join(dir, 'etcd.log');
    const log = createLogger('info', [path]);
    log.child('etcdmain/etcd.go').info(MSG.readyToServe);
    assert.equal((JSON.parse(readFileSync(path, 'utf8').trim()) as { msg: string }).msg, 'ready to serve client requests');
    const bad = join(dir, 'missing', 'x.log');
    assert.throws(() => checkLogOutputs([bad]), { message: `open sink "${bad}": open ${bad}: no such file or directory` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ts is zap\'s "2006-01-02T15:04:05.000000Z0700" in local time', () => {
  const saved = process.env.TZ;
  assert.match(formatZapTime(Date.UTC(2026, 10, 23, 1, 15, 24, 123) + 0.456), /^2026-11-2\dT\d\d:\d\d:24\.123456(Z|[+-]\d{4})$/);
  process.env.TZ = saved;
});

test('published messages carry etcd\'s member attributes text', () => {
  assert.equal(publishedLine('default', ['http://localhost:2379'], 0xcdf818194e3a8c32n), 'published {Name:default ClientURLs:[http://localhost:2379]} to cluster cdf818194e3a8c32');
  assert.deepEqual(publishedFields(0x8e9e05c52164694dn, 'default', ['http://localhost:2379'], 0xcdf818194e3a8c32n, 7000), {
    'local-member-id': '8e9e05c52164694d',
    'local-member-attributes': '{Name:default ClientURLs:[http://localhost:2379]}',
    'request-path': '/0/members/8e9e05c52164694d/attributes',
    'cluster-id': 'cdf818194e3a8c32',
    'publish-timeout': '7s',
  });
});
