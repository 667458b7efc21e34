// A port someone else holds: etcd fails its start at once with Go's words for it and
// exit code 1. etcd-ts binds every port before it touches the data dir, so the failed
// start leaves nothing behind (real etcd too, for its client and peer ports).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { freePort, OUR_ETCD, REAL_ETCD, removeDir, tempDir } from '../helpers/processes.js';

type Port = 'client' | 'peer' | 'metrics';

function hold(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

async function startWithPortTaken(kind: 'ours' | 'real', taken: Port): Promise<{ status: number | null; stderr: string; dataDirLeft: boolean; port: number }> {
  const ports = { client: await freePort(), peer: await freePort(), metrics: await freePort() };
  const holder = await hold(ports[taken]);
  const root = tempDir(`port-in-use-${kind}-`);
  const dataDir = join(root, 'data');
  const url = (p: number) => `http://127.0.0.1:${p}`;
  const args = [
    '--data-dir', dataDir,
    '--listen-client-urls', url(ports.client), '--advertise-client-urls', url(ports.client),
    '--listen-peer-urls', url(ports.peer), '--initial-advertise-peer-urls', url(ports.peer),
    '--initial-cluster', `default=${url(ports.peer)}`,
    '--listen-metrics-urls', url(ports.metrics),
  ];
  try {
    const r = kind === 'ours'
      ? spawnSync(process.execPath, [OUR_ETCD, ...args], { encoding: 'utf8', timeout: 30_000 })
      : spawnSync(REAL_ETCD, args, { encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, stderr: r.stderr, dataDirLeft: existsSync(dataDir), port: ports[taken] };
  } finally {
    holder.close();
    removeDir(root);
  }
}

for (const taken of ['client', 'peer'] as const) {
  test(`a ${taken} port in use fails the start as in real etcd, before the data dir exists`, async () => {
    for (const kind of ['real', 'ours'] as const) {
      const r = await startWithPortTaken(kind, taken);
      assert.equal(r.status, 1, `${kind}: ${r.stderr}`);
      assert.ok(r.stderr.includes(`listen tcp 127.0.0.1:${r.port}: bind: address already in use`), `${kind}: ${r.stderr}`);
      assert.equal(r.dataDirLeft, false, `${kind} left a data dir behind`);
    }
  });
}

test('a metrics port in use fails the start with the same words, and etcd-ts writes no data dir', async () => {
  const r = await startWithPortTaken('ours', 'metrics');
  assert.equal(r.status, 1, r.stderr);
  assert.ok(r.stderr.includes(`listen tcp 127.0.0.1:${r.port}: bind: address already in use`), r.stderr);
  assert.equal(r.dataDirLeft, false);
});
