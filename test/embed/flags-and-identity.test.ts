// etcd's flags and identity as users meet them: the same bad flags give the same first
// line and exit code as real etcd; ids are computed as etcd computes them; defaults
// equal `etcd` with no flags; ETCD_* variables fill flags the command line left unset.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseServerArgs } from '../../src/embed/config.js';
import { computeClusterId, computeMemberId } from '../../src/embed/identity.js';
import { OUR_ETCD, REAL_ETCD } from '../helpers/processes.js';

function run(kind: 'ours' | 'real', args: string[]) {
  const r = kind === 'ours'
    ? spawnSync(process.execPath, [OUR_ETCD, ...args], { encoding: 'utf8', timeout: 20_000 })
    : spawnSync(REAL_ETCD, args, { encoding: 'utf8', timeout: 20_000 });
  return { first: (r.stderr.split('\n')[0] ?? '').trim(), status: r.status };
}

const BAD_FLAGS: string[][] = [
  ['--bogus'],
  ['-bogus=1'],
  ['--heartbeat-interval', 'abc'],
  ['--initial-cluster-state', 'foo'],
  ['--listen-client-urls', 'foo'],
  ['--listen-peer-urls', 'ftp://127.0.0.1:2380'],
  ['--election-timeout'],
  ['--snapshot-count=-1'],
];

for (const args of BAD_FLAGS) {
  test(`bad flags are refused like etcd: ${args.join(' ')}`, () => {
    assert.deepEqual(run('ours', args), run('real', args));
  });
}

test('etcd with no flags: member 8e9e05c52164694d in cluster cdf818194e3a8c32, data dir default.etcd', () => {
  const out = parseServerArgs([], {});
  assert.equal(out.kind, 'config');
  if (out.kind !== 'config') return;
  const c = out.config;
  assert.equal(c.name, 'default');
  assert.equal(c.dataDir, 'default.etcd');
  assert.deepEqual(c.listenClientUrls, ['http://localhost:2379']);
  assert.deepEqual(c.listenPeerUrls, ['http://localhost:2380']);
  assert.deepEqual([...c.initialCluster], [['default', ['http://localhost:2380']]]);
  const id = computeMemberId(c.initialCluster.get('default')!, c.initialClusterToken);
  assert.equal(id.toString(16), '8e9e05c52164694d');
  assert.equal(computeClusterId([id]).toString(16), 'cdf818194e3a8c32');
  assert.equal(c.heartbeatIntervalMs, 100);
  assert.equal(c.electionTimeoutMs, 1000);
  assert.equal(c.maxRequestBytes, 1.5 * 1024 * 1024);
  assert.equal(c.maxTxnOps, 128);
  assert.equal(c.preVote, true);
});

test('a three-member static cluster gets the ids real etcd gives it', () => {
  // The ids real etcd 3.4.23 printed for this --initial-cluster with token "tkn".
  const urls = ['http://127.0.0.1:12380', 'http://127.0.0.1:22380', 'http://127.0.0.1:32380'];
  const ids = urls.map((u) => computeMemberId([u], 'tkn'));
  // Printed by real etcd: "starting member 77f41cbd71028a3a in cluster 998d851d58177d55",
  // "added member e52329470e35c0c0 [http://127.0.0.1:22380]", "added member 763c9e70aa15678a [...32380]".
  assert.deepEqual(ids.map((i) => i.toString(16)), ['77f41cbd71028a3a', 'e52329470e35c0c0', '763c9e70aa15678a']);
  assert.equal(computeClusterId(ids).toString(16), '998d851d58177d55');
  assert.equal(computeClusterId([...ids].reverse()).toString(16), '998d851d58177d55', 'member order does not matter');
});

test('flag forms and environment: -flag, --flag=v, bools, ETCD_* fills unset flags, the command line wins', () => {
  const out = parseServerArgs(['-name', 'n1', '--data-dir=/tmp/x', '--pre-vote=false', '--strict-reconfig-check'], {
    ETCD_NAME: 'ignored',
    ETCD_MAX_TXN_OPS: '256',
  });
  assert.equal(out.kind, 'config');
  if (out.kind !== 'config') return;
  assert.equal(out.config.name, 'n1');
  assert.equal(out.config.dataDir, '/tmp/x');
  assert.equal(out.config.preVote, false);
  assert.equal(out.config.strictReconfigCheck, true);
  assert.equal(out.config.maxTxnOps, 256);
  assert.ok(out.config.warnings.some((w) => w.includes('ETCD_NAME') && w.includes('shadowed')));
  assert.deepEqual([...out.config.initialCluster], [['n1', ['http://localhost:2380']]], '--initial-cluster defaults to this member');
});

test('--version prints the version block and exits 0', () => {
  const r = spawnSync(process.execPath, [OUR_ETCD, '--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^etcd Version: 3\.5\.\d+\nGit SHA: .+\nGo Version: .+\nGo OS\/Arch: .+\n$/);
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
      'client-transport-security:',
      '  cert-file: /etc/ssl/etcd.pem',
      '',
    ].join('\n'),
  );
  const out = parseServerArgs([`--config-file=${path}`, '--name', 'ignored'], { ETCD_DATA_DIR: '/ignored' });
  assert.equal(out.kind, 'config');
  if (out.kind !== 'config') return;
  assert.equal(out.config.name, 'etcd-1');
  assert.equal(out.config.dataDir, '/opt/apps/etcd/data');
  assert.deepEqual(out.config.listenClientUrls, ['http://10.70.68.122:2379', 'http://127.0.0.1:2379']);
  assert.deepEqual([...out.config.initialCluster.keys()], ['etcd-1', 'etcd-2', 'etcd-3']);
  assert.equal(out.config.initialClusterToken, 'etcd-cluster-token');
  assert.equal(out.config.raw.get('cert-file'), '/etc/ssl/etcd.pem');

  writeFileSync(path, 'initial-cluster-state: sideways\n');
  const bad = parseServerArgs([`--config-file=${path}`], {});
  assert.deepEqual(bad, { kind: 'error', message: 'invalid value "sideways" for flag -initial-cluster-state: invalid value', exitCode: 1 });
  rmSync(dir, { recursive: true, force: true });
});
