// --discovery against a real discovery service: etcd 3.4.23 with --enable-v2 serves the
// v2 keys API that discovery.etcd.io speaks. Real etcd and etcd-ts must register the
// same way and come out with the same member and cluster ids.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { etcdctl, freePort, OUR_ETCD, REAL_ETCD, removeDir, startMember, stopMember, tempDir, waitReady, type Member } from '../helpers/processes.js';

async function v2(url: string, method = 'GET', body?: string): Promise<{ node?: { nodes?: { key: string; value: string }[] } }> {
  const res = await fetch(url, { method, ...(body === undefined ? {} : { body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }) });
  return (await res.json()) as { node?: { nodes?: { key: string; value: string }[] } };
}

interface Ports {
  client: number;
  peer: number;
}

function memberArgs(durl: string, dataDir: string, p: Ports, name = 'infra0'): string[] {
  return [
    '--name', name,
    '--data-dir', dataDir,
    '--discovery', durl,
    '--listen-client-urls', `http://127.0.0.1:${p.client}`,
    '--advertise-client-urls', `http://127.0.0.1:${p.client}`,
    '--listen-peer-urls', `http://127.0.0.1:${p.peer}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${p.peer}`,
  ];
}

async function startDiscovered(kind: 'ours' | 'real', durl: string, p: Ports): Promise<Member> {
  const dataDir = join(tempDir(`etcd-disc-${kind}-`), 'data');
  const args = memberArgs(durl, dataDir, p);
  const bin = kind === 'ours' ? OUR_ETCD : REAL_ETCD;
  const proc = spawn(kind === 'ours' ? process.execPath : bin, kind === 'ours' ? [bin, ...args] : args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const m: Member = { kind, proc, clientUrl: `http://127.0.0.1:${p.client}`, endpoint: `127.0.0.1:${p.client}`, dataDir, stderr: () => err, args };
  await waitReady(m);
  return m;
}

function ids(m: Member): { member: string; cluster: string } {
  const r = etcdctl('real', ['--endpoints', m.endpoint, 'endpoint', 'status', '-w', 'json']);
  const [s] = JSON.parse(r.stdout) as { Status: { header: { cluster_id: number; member_id: number } } }[];
  // Go's JSON numbers exceed 2^53: take the digits from the text instead.
  const member = /"member_id":(\d+)/.exec(r.stdout)![1]!;
  const cluster = /"cluster_id":(\d+)/.exec(r.stdout)![1]!;
  assert.ok(s);
  return { member: BigInt(member).toString(16), cluster: BigInt(cluster).toString(16) };
}

test('--discovery: a member registers itself and gets the ids real etcd gets', async (t) => {
  const service = await startMember('real', { extraArgs: ['--enable-v2'] });
  t.after(async () => {
    await stopMember(service);
    removeDir(service.dataDir);
  });
  const base = `${service.clientUrl}/v2/keys/discovery`;
  const durl = `${base}/token-one`;
  await v2(`${durl}/_config/size`, 'PUT', 'value=1');
  const ports = { client: await freePort(), peer: await freePort() };

  const real = await startDiscovered('real', durl, ports);
  const realIds = ids(real);
  const registered = await v2(`${durl}?recursive=true`);
  await stopMember(real);
  removeDir(real.dataDir);
  assert.deepEqual(registered.node?.nodes?.map((n) => n.value), [`infra0=http://127.0.0.1:${ports.peer}`]);
  assert.equal(registered.node?.nodes?.[0]?.key, `/discovery/token-one/${realIds.member}`);

  // Same URL, same addresses: once the registration is gone, etcd-ts must land on the same ids.
  await v2(`${base}/token-one/${realIds.member}`, 'DELETE');
  const ours = await startDiscovered('ours', durl, ports);
  t.after(async () => {
    await stopMember(ours);
    removeDir(ours.dataDir);
  });
  assert.deepEqual(ids(ours), realIds);
  const again = await v2(`${durl}?recursive=true`);
  assert.deepEqual(again.node?.nodes?.map((n) => [n.key, n.value]), [[`/discovery/token-one/${realIds.member}`, `infra0=http://127.0.0.1:${ports.peer}`]]);
  assert.match(ours.stderr(), /"msg":"found self from discovery server","self":"[0-9a-f]+"/);
  assert.equal(etcdctl('real', ['--endpoints', ours.endpoint, 'put', 'k', 'v']).stdout, 'OK\n');
});

test('--discovery: a token without a size fails as etcd fails, and a full cluster is refused', async (t) => {
  const service = await startMember('real', { extraArgs: ['--enable-v2'] });
  t.after(async () => {
    await stopMember(service);
    removeDir(service.dataDir);
  });
  const ports = { client: await freePort(), peer: await freePort() };
  const run = (bin: string, node: boolean, durl: string, name = 'infra0') => {
    const dir = tempDir('etcd-disc-fail-');
    const args = memberArgs(durl, join(dir, 'data'), ports, name);
    // Generous: CI runs test files side by side on 2 cores, and a hung member is still caught.
    const r = spawnSync(node ? process.execPath : bin, node ? [bin, ...args] : args, { encoding: 'utf8', timeout: 60_000 });
    removeDir(dir);
    return r;
  };
  const missing = `${service.clientUrl}/v2/keys/discovery/never-created`;
  const theirs = run(REAL_ETCD, false, missing);
  const mine = run(OUR_ETCD, true, missing);
  const reason = (stderr: string) => /failed to join discovery cluster \(100: Key not found \(\/discovery[^)]*\) \[\d+\]\)/.exec(stderr)?.[0];
  assert.equal(theirs.status, 1, theirs.stderr);
  assert.ok(reason(theirs.stderr), theirs.stderr);
  assert.equal(mine.status, 1, mine.stderr);
  // Nothing wrote to the discovery store in between, so even its index must agree.
  assert.equal(reason(mine.stderr), reason(theirs.stderr));
  assert.match(mine.stderr, /"msg":"failed to bootstrap; discovery token was already used","discovery-token":"[^"]*never-created"/);

  const full = `${service.clientUrl}/v2/keys/discovery/full`;
  await v2(`${full}/_config/size`, 'PUT', 'value=1');
  await v2(`${full}/1234`, 'PUT', 'value=other=http://10.0.0.1:2380');
  const late = run(OUR_ETCD, true, full);
  assert.equal(late.status, 1, late.stderr);
  assert.match(late.stderr, /failed to join discovery cluster \(discovery: cluster is full\)/);
  const after = await v2(`${full}?recursive=true`);
  assert.equal(after.node?.nodes?.filter((n) => !n.key.endsWith('_config')).length, 1, 'a refused member does not register');
});

test('--discovery: a member waits for the rest of the cluster to register', async (t) => {
  const service = await startMember('real', { extraArgs: ['--enable-v2'] });
  const durl = `${service.clientUrl}/v2/keys/discovery/three`;
  await v2(`${durl}/_config/size`, 'PUT', 'value=2');
  const ports = { client: await freePort(), peer: await freePort() };
  const dir = tempDir('etcd-disc-wait-');
  const args = memberArgs(durl, join(dir, 'data'), ports);
  const proc = spawn(process.execPath, [OUR_ETCD, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  t.after(async () => {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    }
    await stopMember(service);
    removeDir(service.dataDir);
    removeDir(dir);
  });
  const until = async (pattern: RegExp) => {
    const deadline = Date.now() + 15_000;
    while (!pattern.test(err)) {
      assert.ok(Date.now() < deadline, `no ${pattern} in:\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await until(/"msg":"found peers from discovery server; waiting for more"[^\n]*"found-peers":1,"needed-peers":1/);
  await v2(`${durl}/5678`, 'PUT', 'value=infra1=http://127.0.0.1:1');
  await until(/"msg":"found all needed peers from discovery server"[^\n]*"found-peers":"infra0=http:\/\/127\.0\.0\.1:\d+,infra1=http:\/\/127\.0\.0\.1:1"/);
});
