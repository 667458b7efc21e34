// The client's streams (watch, lease keep-alive, snapshot) and its endpoint handling
// (failover past dead endpoints, deadlines, unix sockets) against a spawned real etcd.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Client, ClientError } from '../../src/client/client.js';
import type { WatchResponse } from '../../src/gen/etcdserverpb/rpc.js';
import { Event_EventType } from '../../src/gen/mvccpb/kv.js';
import { freePort, removeDir, startMember, stopMember, tempDir, type Member } from '../helpers/processes.js';

let etcd: Member;
let client: Client;
const b = (s: string): Buffer => Buffer.from(s);

before(async () => {
  etcd = await startMember('real');
  client = new Client({ endpoints: [etcd.clientUrl], dialTimeoutMs: 2000, commandTimeoutMs: 5000 });
});

after(async () => {
  client.close();
  await stopMember(etcd);
  removeDir(etcd.dataDir);
});

/** Collects watch responses and lets a test wait until a condition on them holds. */
function collector(): { seen: WatchResponse[]; listener: (r: WatchResponse) => void; until: (f: (seen: WatchResponse[]) => boolean) => Promise<void> } {
  const seen: WatchResponse[] = [];
  const waiters: { f: (s: WatchResponse[]) => boolean; resolve: () => void }[] = [];
  return {
    seen,
    listener: (r) => {
      seen.push(r);
      for (const w of [...waiters]) if (w.f(seen)) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
    },
    until: (f) => (f(seen) ? Promise.resolve() : new Promise((resolve) => waiters.push({ f, resolve }))),
  };
}

test('a watch sees puts and deletes under its prefix, with previous values, until canceled', async () => {
  const ws = client.watchStream();
  const c = collector();
  const w = await ws.watch({ key: b('w/'), rangeEnd: b('w0'), prevKv: true }, c.listener);
  await client.put({ key: b('w/a'), value: b('1') });
  await client.put({ key: b('other'), value: b('x') });
  await client.put({ key: b('w/a'), value: b('2') });
  const del = await client.deleteRange({ key: b('w/a') });
  const events = (): number => c.seen.flatMap((r) => r.events).length;
  await c.until(() => events() === 3);
  const evs = c.seen.flatMap((r) => r.events);
  assert.deepEqual(evs.map((e) => [e.type, e.kv!.key.toString(), e.kv!.value.toString(), e.prevKv?.value.toString()]), [
    [Event_EventType.PUT, 'w/a', '1', undefined],
    [Event_EventType.PUT, 'w/a', '2', '1'],
    [Event_EventType.DELETE, 'w/a', '', '2'],
  ]);
  assert.equal(w.nextRevision, del.header!.revision + 1n);
  await w.cancel();
  await client.put({ key: b('w/b'), value: b('after cancel') });
  ws.requestProgress(); // answered on the stream; a canceled watch must not see it
  assert.equal(events(), 3);
  ws.close();
});

test('a watch from a compacted revision is canceled with the compact revision', async () => {
  const p1 = await client.put({ key: b('wc/k'), value: b('1') });
  const p2 = await client.put({ key: b('wc/k'), value: b('2') });
  await client.compact({ revision: p2.header!.revision });
  const ws = client.watchStream();
  const c = collector();
  await ws.watch({ key: b('wc/k'), startRevision: p1.header!.revision }, c.listener);
  await c.until((s) => s.some((r) => r.canceled));
  const canceled = c.seen.find((r) => r.canceled)!;
  assert.equal(canceled.compactRevision, p2.header!.revision);
  ws.close();
});

test('leases: grant, attach, time-to-live with keys, keep-alive, revoke deletes the keys', async () => {
  const g = await client.leaseGrant(60);
  assert.ok(g.ID > 0n);
  assert.equal(g.TTL, 60n);
  await client.put({ key: b('lease/k'), value: b('v'), lease: g.ID });
  const ttl = await client.leaseTimeToLive(g.ID, true);
  assert.equal(ttl.grantedTTL, 60n);
  assert.deepEqual(ttl.keys.map((k) => k.toString()), ['lease/k']);
  assert.ok((await client.leaseLeases()).leases.some((l) => l.ID === g.ID));
  const ka = await client.leaseKeepAliveOnce(g.ID);
  assert.equal(ka.ID, g.ID);
  assert.equal(ka.TTL, 60n);

  const loop = client.leaseKeepAlive(g.ID);
  const first = await new Promise<bigint>((resolve) => {
    const check = (): void => (loop.last ? resolve(loop.last.TTL) : void setImmediate(check));
    check();
  });
  assert.equal(first, 60n);
  loop.stop();
  await loop.done;

  await client.leaseRevoke(g.ID);
  assert.equal((await client.range({ key: b('lease/k') })).kvs.length, 0);
  assert.equal((await client.leaseKeepAliveOnce(g.ID)).TTL, 0n);
  await assert.rejects(client.leaseRevoke(g.ID), (e: unknown) => e instanceof ClientError && e.code === GrpcStatus.NOT_FOUND && e.message === 'etcdserver: requested lease not found');
});

test('snapshot streams the whole backend plus its sha256, counting remaining bytes down to zero', async () => {
  const chunks: Buffer[] = [];
  let last: bigint | undefined;
  for await (const chunk of client.snapshot()) {
    chunks.push(chunk.blob);
    last = chunk.remainingBytes;
  }
  assert.equal(last, 0n);
  // etcd appends the SHA-256 of the database file; etcdctl snapshot save checks it.
  const all = Buffer.concat(chunks);
  const db = all.subarray(0, all.length - 32);
  assert.deepEqual(all.subarray(all.length - 32), createHash('sha256').update(db).digest());
  assert.equal(BigInt(db.length), (await client.status()).dbSize);
});

test('reads and writes fail over past an endpoint that refuses connections', async () => {
  const dead = `127.0.0.1:${await freePort()}`;
  const c = new Client({ endpoints: [dead, etcd.endpoint], dialTimeoutMs: 2000, commandTimeoutMs: 5000 });
  try {
    // A write whose connection never opened was never sent, so it may go elsewhere.
    await c.put({ key: b('fo/k'), value: b('v') });
    assert.equal((await c.range({ key: b('fo/k') })).kvs[0]!.value.toString(), 'v');
  } finally {
    c.close();
  }
});

test('with no reachable endpoint a call fails at its deadline, worded as clientv3 words it', async () => {
  const dead = `127.0.0.1:${await freePort()}`;
  // The dial error only appears once a refusal came back before the deadline, as in Go; a
  // 1 s deadline was sometimes spent before a loaded CI machine ran the refused connect.
  const c = new Client({ endpoints: [dead], dialTimeoutMs: 2000, commandTimeoutMs: 4000 });
  try {
    await assert.rejects(c.range({ key: b('k') }), (e: unknown) => {
      assert.ok(e instanceof ClientError);
      assert.equal(e.code, GrpcStatus.DEADLINE_EXCEEDED);
      assert.equal(e.userText, 'context deadline exceeded');
      assert.equal(e.endpoint, dead);
      assert.equal(e.grpcText, `rpc error: code = DeadlineExceeded desc = latest balancer error: connection error: desc = "transport: Error while dialing dial tcp ${dead}: connect: connection refused"`);
      return true;
    });
  } finally {
    c.close();
  }
});

test('unix:// endpoints reach etcd through a socket', async () => {
  // etcd 3.4 names unix listeners relative to its working directory; a socket of our own,
  // piped to etcd's TCP port, keeps the repository clean and exercises the same client path.
  const dir = tempDir('etcd-unix-');
  const path = join(dir, 'etcd.sock');
  const proxy = net.createServer((s) => {
    const up = net.connect(Number(etcd.endpoint.split(':')[1]), '127.0.0.1');
    s.pipe(up).pipe(s);
    s.on('error', () => up.destroy());
    up.on('error', () => s.destroy());
  });
  await new Promise<void>((r) => proxy.listen(path, r));
  const c = new Client({ endpoints: [`unix://${path}`], commandTimeoutMs: 5000 });
  try {
    await c.put({ key: b('unix/k'), value: b('v') });
    assert.equal((await client.range({ key: b('unix/k') })).kvs[0]!.value.toString(), 'v');
  } finally {
    c.close();
    await new Promise((r) => proxy.close(r));
    removeDir(dir);
  }
});
