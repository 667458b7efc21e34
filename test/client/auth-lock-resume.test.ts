// Auth tokens, the lock and election services, and a watch that outlives a member restart,
// against a spawned real etcd 3.4.23.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Client, ClientError } from '../../src/client/client.js';
import type { WatchResponse } from '../../src/gen/etcdserverpb/rpc.js';
import { Permission_Type } from '../../src/gen/authpb/auth.js';
import { freePort, removeDir, startMember, stopMember, type Member } from '../helpers/processes.js';

let etcd: Member;
let client: Client;
let clientPort: number;
let peerPort: number;
const b = (s: string): Buffer => Buffer.from(s);

before(async () => {
  clientPort = await freePort();
  peerPort = await freePort();
  etcd = await startMember('real', { clientPort, peerPort });
  client = new Client({ endpoints: [etcd.clientUrl], commandTimeoutMs: 15_000 });
});

after(async () => {
  client.close();
  await stopMember(etcd);
  removeDir(etcd.dataDir);
});

test('lock hands out an ownership key under the lock name; election reports its leader', async () => {
  const lease = await client.leaseGrant(30);
  const held = await client.lock(b('mylock'), lease.ID);
  assert.equal(held.key.toString(), `mylock/${lease.ID.toString(16)}`);
  await client.unlock(held.key);
  assert.equal((await client.range({ key: held.key })).kvs.length, 0);

  await assert.rejects(client.leader(b('myelection')), (e: unknown) => e instanceof ClientError && e.message === 'election: no leader');
  const won = await client.campaign({ name: b('myelection'), lease: lease.ID, value: b('me') });
  assert.equal((await client.leader(b('myelection'))).kv!.value.toString(), 'me');
  await client.proclaim({ leader: won.leader, value: b('still me') });
  assert.equal((await client.leader(b('myelection'))).kv!.value.toString(), 'still me');
  await client.resign({ leader: won.leader });
  await client.leaseRevoke(lease.ID);
});

test('a watch resumes after its member restarts, without losing or repeating events', async () => {
  const ws = client.watchStream();
  const seen: WatchResponse[] = [];
  let notify: () => void = () => {};
  const w = await ws.watch({ key: b('resume/k') }, (r) => {
    seen.push(r);
    notify();
  });
  const values = (): string[] => seen.flatMap((r) => r.events.map((e) => e.kv!.value.toString()));
  const until = (n: number): Promise<void> => new Promise((resolve) => {
    notify = () => values().length >= n && resolve();
    notify();
  });
  await client.put({ key: b('resume/k'), value: b('before') });
  await until(1);
  const idBefore = w.id;

  await stopMember(etcd);
  etcd = await startMember('real', { clientPort, peerPort, dataDir: etcd.dataDir });
  // The write waits for the member to come back (within the 15 s command timeout).
  await client.put({ key: b('resume/k'), value: b('after') });
  await until(2);
  assert.deepEqual(values(), ['before', 'after']);
  assert.ok(seen.every((r) => !r.canceled));
  assert.equal(typeof idBefore, 'bigint');
  ws.close();
});

test('with credentials the client authenticates and sends its token; without, etcd refuses', async () => {
  await client.roleAdd('root');
  await client.userAdd({ name: 'root', password: 'rootpw' });
  await client.userGrantRole('root', 'root');
  await client.roleAdd('reader');
  await client.roleGrantPermission({ name: 'reader', perm: { permType: Permission_Type.READ, key: b('pub/'), rangeEnd: b('pub0') } });
  await client.userAdd({ name: 'alice', password: 'alicepw' });
  await client.userGrantRole('alice', 'reader');
  await client.authEnable();
  const root = new Client({ endpoints: [etcd.clientUrl], commandTimeoutMs: 5000, username: 'root', password: 'rootpw' });
  const alice = new Client({ endpoints: [etcd.clientUrl], commandTimeoutMs: 5000, username: 'alice', password: 'alicepw' });
  const wrong = new Client({ endpoints: [etcd.clientUrl], commandTimeoutMs: 5000, username: 'alice', password: 'nope' });
  try {
    await root.put({ key: b('pub/x'), value: b('1') });
    assert.equal((await alice.range({ key: b('pub/x') })).kvs[0]!.value.toString(), '1');
    // AuthStatus is etcd 3.5's; 3.4.23 answers Unimplemented.
    await assert.rejects(root.authStatus(), (e: unknown) => e instanceof ClientError && e.code === GrpcStatus.UNIMPLEMENTED);
    await assert.rejects(alice.put({ key: b('pub/x'), value: b('2') }), (e: unknown) => {
      assert.ok(e instanceof ClientError);
      assert.equal(e.code, GrpcStatus.PERMISSION_DENIED);
      assert.equal(e.message, 'etcdserver: permission denied');
      return true;
    });
    await assert.rejects(wrong.range({ key: b('pub/x') }), (e: unknown) => {
      assert.ok(e instanceof ClientError);
      assert.equal(e.code, GrpcStatus.INVALID_ARGUMENT);
      assert.equal(e.message, 'etcdserver: authentication failed, invalid user ID or password');
      return true;
    });
    await assert.rejects(client.range({ key: b('pub/x') }), (e: unknown) => {
      assert.ok(e instanceof ClientError);
      assert.equal(e.message, 'etcdserver: user name is empty');
      return true;
    });
  } finally {
    await root.authDisable();
    root.close();
    alice.close();
    wrong.close();
  }
});
