import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError, parseArgs, parseDuration } from '../../src/benchmark/flags.js';

test('global and command flags in any position, with etcd defaults', () => {
  const p = parseArgs(['--endpoints=a:1,b:2', 'put', '--clients', '50', '--val-size=256', '--sequential-keys', '--target-leader']);
  assert.equal(p.command, 'put');
  assert.equal(p.flags.endpoints, 'a:1,b:2');
  assert.equal(p.flags.clients, 50);
  assert.equal(p.flags.conns, 1);
  assert.equal(p.flags['val-size'], 256);
  assert.equal(p.flags['key-size'], 8);
  assert.equal(p.flags.total, 10000);
  assert.equal(p.flags['sequential-keys'], true);
  assert.equal(p.flags['target-leader'], true);
  assert.deepEqual(p.args, []);
});

test('range takes KEY [END] and --consistency', () => {
  const p = parseArgs(['range', 'foo', 'fop', '--consistency', 's', '--precise=false']);
  assert.deepEqual(p.args, ['foo', 'fop']);
  assert.equal(p.flags.consistency, 's');
  assert.equal(p.flags.precise, false);
});

test('flag errors use pflag wording', () => {
  assert.throws(() => parseArgs(['put', '--total', 'x']), (e: unknown) => e instanceof FlagError && /invalid argument "x" for "--total" flag: strconv.ParseInt/.test(e.message));
  assert.throws(() => parseArgs(['put', '--txn-ops', '2']), /unknown flag: --txn-ops/);
  assert.throws(() => parseArgs(['put', '--total']), /flag needs an argument: --total/);
  assert.equal(parseArgs(['watch-latency']).flags['put-rate'], 100);
  assert.equal(parseArgs(['txn-mixed', '--rw-ratio', '0.5']).flags['rw-ratio'], 0.5);
});

test('durations in Go syntax', () => {
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseArgs(['put', '--dial-timeout', '2s']).flags['dial-timeout'], 2000);
  assert.throws(() => parseDuration('5'), /invalid duration "5"/);
});
