// etcd's configuration as users meet it: the defaults of `etcd` with no flags, ETCD_*
// variables filling flags the command line left unset (and etcd 3.5's logs about them),
// --initial-cluster defaulting, and --config-file replacing flags and environment.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseServerArgs, type ServerConfig } from '../../src/embed/config.js';
import { verifyBootstrap } from '../../src/embed/bootstrap-check.js';
import { runArgs } from './capture.js';

function config(argv: string[], env: NodeJS.ProcessEnv = {}): ServerConfig {
  const out = parseServerArgs(argv, env);
  assert.equal(out.kind, 'config', JSON.stringify(out));
  return (out as { config: ServerConfig }).config;
}

test('etcd with no flags: the defaults of etcd 3.5', () => {
  const c = config([]);
  assert.equal(c.name, 'default');
  assert.equal(c.dataDir, 'default.etcd');
  assert.equal(c.walDir, '');
  assert.deepEqual(c.listenClientUrls, ['http://localhost:2379']);
  assert.deepEqual(c.advertiseClientUrls, ['http://localhost:2379']);
  assert.deepEqual(c.listenPeerUrls, ['http://localhost:2380']);
  assert.deepEqual(c.initialAdvertisePeerUrls, ['http://localhost:2380']);
  assert.deepEqual([...c.initialCluster], [['default', ['http://localhost:2380']]]);
  assert.equal(c.initialClusterToken, 'etcd-cluster');
  assert.equal(c.initialClusterState, 'new');
  assert.equal(c.heartbeatIntervalMs, 100);
  assert.equal(c.electionTimeoutMs, 1000);
  assert.equal(c.snapshotCount, 100_000);
  assert.equal(c.snapshotCatchUpEntries, 5000);
  assert.equal(c.maxSnapshots, 5);
  assert.equal(c.maxWals, 5);
  assert.equal(c.quotaBackendBytes, 0);
  assert.equal(c.maxRequestBytes, 1.5 * 1024 * 1024);
  assert.equal(c.maxTxnOps, 128);
  assert.equal(c.maxConcurrentStreams, 4294967295);
  assert.equal(c.grpcKeepAliveIntervalMs, 7_200_000);
  assert.equal(c.preVote, true, '3.5 turns pre-vote on by default');
  assert.equal(c.strictReconfigCheck, true);
  assert.equal(c.autoCompactionMode, 'periodic');
  assert.equal(c.autoCompactionRetention, '0');
  assert.equal(c.logger, 'zap');
  assert.equal(c.logLevel, 'info');
  assert.deepEqual(c.logOutputs, ['default']);
  assert.equal(c.enableV2, false);
  assert.equal(c.v2Deprecation, 'not-yet');
  assert.equal(c.metrics, 'basic');
  assert.deepEqual(c.listenMetricsUrls, []);
  assert.deepEqual(c.cors, ['*']);
  assert.deepEqual(c.hostWhitelist, ['*']);
  assert.equal(c.authToken, 'simple');
  assert.equal(c.bcryptCost, 10);
  assert.equal(c.tlsMinVersion, 'TLS1.2');
  assert.equal(c.enableGrpcGateway, true);
  assert.equal(c.experimental.compactHashCheckTimeMs, 60_000);
  assert.equal(verifyBootstrap(c), undefined);
});

test('no flags logs what etcd 3.5 logs before starting: single-port warning, "Running: ", data-dir default', () => {
  const got = runArgs([]);
  assert.equal(got.exitCode, undefined);
  assert.deepEqual(
    got.logs.map((l) => [l.level, l.msg]),
    [
      ['warn', 'Running http and grpc server on single port. This is not recommended for production.'],
      ['info', 'Running: '],
      ['warn', "'data-dir' was empty; using default"],
    ],
  );
  assert.equal(got.logs[2]!['data-dir'], 'default.etcd');
  for (const l of got.logs) assert.deepEqual(Object.keys(l).slice(0, 4), ['level', 'ts', 'caller', 'msg']);
});

test('flag forms, numbers in Go syntax, and booleans', () => {
  const c = config(['-name', 'n1', '--data-dir=/tmp/x', '--pre-vote=false', '--strict-reconfig-check', '-snapshot-count=0x10', '--heartbeat-interval', '1_0']);
  assert.equal(c.name, 'n1');
  assert.equal(c.dataDir, '/tmp/x');
  assert.equal(c.preVote, false);
  assert.equal(c.strictReconfigCheck, true);
  assert.equal(c.snapshotCount, 16);
  assert.equal(c.heartbeatIntervalMs, 10);
});

test('--name alone renames the default --initial-cluster; the default name keeps "default=http://localhost:2380"', () => {
  assert.deepEqual([...config(['--name', 'n1']).initialCluster], [['n1', ['http://localhost:2380']]]);
  const peer = ['--initial-advertise-peer-urls', 'http://127.0.0.1:12380', '--listen-peer-urls', 'http://127.0.0.1:12380'];
  const renamed = config(['--name', 'n1', ...peer]);
  assert.deepEqual([...renamed.initialCluster], [['n1', ['http://127.0.0.1:12380']]]);
  const unnamed = config(peer);
  assert.equal(unnamed.initialClusterText, 'default=http://localhost:2380');
  // Real etcd 3.4.23 / 3.5 refuse this at start-up with exactly this text.
  assert.equal(
    verifyBootstrap(unnamed),
    '--initial-cluster has default=http://localhost:2380 but missing from --initial-advertise-peer-urls=http://127.0.0.1:12380 (resolved urls: "http://127.0.0.1:12380" != "http://localhost:2380")',
  );
  assert.equal(config(['--discovery', 'https://discovery.etcd.io/x']).initialClusterText, '', 'discovery clears the default');
});

test("start-up checks on --initial-cluster use etcd's words", () => {
  assert.equal(verifyBootstrap(config(['--name', 'a', '--initial-cluster', 'b=http://localhost:2380'])), `couldn't find local name "a" in the initial cluster configuration`);
  assert.equal(verifyBootstrap(config(['--name='])), `couldn't find local name "" in the initial cluster configuration`);
  assert.equal(verifyBootstrap(config(['--initial-cluster', 'a'])), 'error setting up initial cluster: URL scheme must be http, https, unix, or unixs: ');
  assert.equal(
    verifyBootstrap(config(['--name', 'a', '--initial-cluster', 'a=http://localhost:2380,b=http://localhost:2380'])),
    'initial cluster a=http://localhost:2380,b=http://localhost:2380 has duplicate url',
  );
});

test('ETCD_* fills unset flags and is logged; unknown ETCD_* variables are warned about', () => {
  const got = runArgs(['--name', 'n1'], { ETCD_MAX_TXN_OPS: '256', ETCD_BOGUS: '1', ETCD_DATA_DIR: '', HOME: '/root' });
  assert.equal(got.exitCode, undefined);
  const used = got.logs.find((l) => l.msg === 'recognized and used environment variable');
  assert.deepEqual([used?.['variable-name'], used?.['variable-value']], ['ETCD_MAX_TXN_OPS', '256']);
  const unknown = got.logs.filter((l) => l.msg === 'unrecognized environment variable').map((l) => l['environment-variable']);
  assert.deepEqual(unknown, ['ETCD_BOGUS=1', 'ETCD_DATA_DIR='], 'an empty value is not used, so it is unrecognized');
  assert.equal(config([], { ETCD_MAX_TXN_OPS: '256' }).maxTxnOps, 256);
  assert.equal(config([], { ETCD_PRE_VOTE: 'false' }).preVote, false);
});

test('an ETCD_* variable shadowed by its flag is fatal (exit 1), as in etcd 3.5', () => {
  const got = runArgs(['--name', 'n1'], { ETCD_NAME: 'other' });
  assert.equal(got.exitCode, 1);
  const last = got.logs.at(-1)!;
  assert.equal(last.level, 'fatal');
  assert.equal(last.msg, 'conflicting environment variable is shadowed by corresponding command-line flag (either unset environment variable or disable flag))');
  assert.equal(last['environment-variable'], 'ETCD_NAME');
});

test('a bad ETCD_* value fails verification with the variable named; ETCD_VERSION is refused', () => {
  const out = parseServerArgs([], { ETCD_HEARTBEAT_INTERVAL: 'abc' });
  assert.equal(out.kind, 'error');
  assert.equal((out as { message: string }).message, 'invalid value "abc" for ETCD_HEARTBEAT_INTERVAL: parse error');
  assert.equal((out as { exitCode: number }).exitCode, 1);
  const got = runArgs([], { ETCD_VERSION: '1' });
  assert.equal(got.exitCode, undefined);
  assert.equal(got.stdout, '');
  assert.deepEqual(got.logs[0], { ...got.logs[0], level: 'warn', msg: 'cannot set special environment variable', key: 'ETCD_VERSION', value: '1' });
});

test('--config-file (seed 002): YAML keys are flag names, and the file replaces flags and ETCD_*', () => {
  const dir = mkdtempSync(join(tmpdir(), 'config-file-'));
  const path = join(dir, 'config.yml');
  writeFileSync(
    path,
    [
      'name: etcd-1',
      'data-dir: /opt/apps/etcd/data',
      'listen-client-urls: http://10.70.68.122:2379,http://127.0.0.1:2379',
      'advertise-client-urls: http://10.70.68.122:2379,http://127.0.0.1:2379',
      'listen-peer-urls: http://10.70.68.122:2380',
      'initial-advertise-peer-urls: http://10.70.68.122:2380',
      'initial-cluster: etcd-1=http://10.70.68.122:2380,etcd-2=http://10.70.67.149:2380,etcd-3=http://10.70.67.150:2380',
      'initial-cluster-token: etcd-cluster-token',
      'initial-cluster-state: new',
      'log-outputs: [stderr]',
      'client-transport-security:',
      '  cert-file: /etc/ssl/etcd.pem',
      '',
    ].join('\n'),
  );
  try {
    const c = config([`--config-file=${path}`, '--name', 'ignored'], { ETCD_DATA_DIR: '/ignored' });
    assert.equal(c.name, 'etcd-1');
    assert.equal(c.dataDir, '/opt/apps/etcd/data');
    assert.deepEqual(c.listenClientUrls, ['http://10.70.68.122:2379', 'http://127.0.0.1:2379']);
    assert.deepEqual([...c.initialCluster.keys()], ['etcd-1', 'etcd-2', 'etcd-3']);
    assert.equal(c.initialClusterToken, 'etcd-cluster-token');
    assert.equal(c.clientTls.certFile, '/etc/ssl/etcd.pem');
    assert.deepEqual(c.logOutputs, ['stderr']);
    assert.equal(config([], { ETCD_CONFIG_FILE: path }).name, 'etcd-1', 'ETCD_CONFIG_FILE names the file too');

    writeFileSync(path, 'initial-cluster-state: sideways\n');
    const bad = parseServerArgs([`--config-file=${path}`], {});
    assert.equal(bad.kind, 'error');
    assert.equal((bad as { exitCode: number }).exitCode, 1);
    const missing = parseServerArgs(['--config-file', join(dir, 'nope.yml')], {});
    assert.equal((missing as { message: string }).message, `open ${join(dir, 'nope.yml')}: no such file or directory`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
