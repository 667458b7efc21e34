// Serializable ranges are answered once the current event-loop turn is over, together with
// the others of that turn (src/server/read-turn.ts). What a client sees must not change:
// a serializable range sees every write acknowledged before it was sent, its header
// revision is the one its key-values were read at, and its errors are etcd's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactionRequest, PutRequest, RangeRequest } from '../../src/gen/etcdserverpb/rpc.js';
import { RawNode } from '../../src/raft/raw-node.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { Backend } from '../../src/storage/backend.js';
import { KVStore } from '../../src/mvcc/kv-store.js';
import { WAL } from '../../src/wal/wal.js';
import { EtcdServer } from '../../src/server/etcd-server.js';
import { Errors } from '../../src/server/errors.js';
import { Membership, encodeMember } from '../../src/server/membership.js';
import { ReadTurn } from '../../src/server/read-turn.js';
import { seeded } from '../raft/sim-network.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function withMember(body: (server: EtcdServer) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'serializable-range-'));
  const backend = Backend.open(join(dir, 'db'));
  const store = await KVStore.open(backend);
  const wal = await WAL.create(join(dir, 'wal'), new Uint8Array(16));
  const storage = new MemoryStorage();
  const node = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage, maxSizePerMsg: 1 << 20, maxInflightMsgs: 256, checkQuorum: true, preVote: true, random: seeded(1) });
  node.bootstrap([{ id: 1n, context: encodeMember({ id: 1n, name: 'm', peerURLs: ['http://127.0.0.1:1'], clientURLs: [], isLearner: false }) }]);
  const membership = new Membership(1n, { saveMember: () => undefined, deleteMember: () => undefined, loadMembers: () => ({ members: [], removed: [] }), saveClusterVersion: () => undefined, loadClusterVersion: () => '' });
  const server = new EtcdServer(
    { memberId: 1n, name: 'm', clientURLs: ['http://127.0.0.1:2'], heartbeatMs: 100, electionMs: 1000, maxRequestBytes: 1 << 20, maxTxnOps: 128, logger: quiet, backendSize: () => ({ size: 0, inUse: 0 }) },
    { node, storage, wal, store, membership },
  );
  try {
    server.start();
    await server.ready;
    await body(server);
  } finally {
    await server.stop();
    await wal.close();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const serializable = (key: string, extra: Partial<RangeRequest> = {}): RangeRequest =>
  RangeRequest.fromPartial({ key: Buffer.from(key), serializable: true, ...extra });

test('a serializable range sees every acknowledged write, at the revision its header names', async () => {
  await withMember(async (server) => {
    for (let i = 0; i < 20; i++) {
      const put = await server.put(PutRequest.fromPartial({ key: Buffer.from('k'), value: Buffer.from(`v${i}`) }));
      const got = await server.range(serializable('k'));
      assert.equal(got.kvs.length, 1);
      assert.equal(Buffer.from(got.kvs[0]!.value).toString(), `v${i}`);
      assert.equal(got.header!.revision, put.header!.revision);
      assert.equal(got.kvs[0]!.modRevision, put.header!.revision);
    }
  });
});

test('serializable ranges sent together with writes in flight: each answer is one consistent revision', async () => {
  await withMember(async (server) => {
    const puts: Promise<unknown>[] = [];
    const reads: ReturnType<EtcdServer['range']>[] = [];
    for (let i = 0; i < 200; i++) {
      puts.push(server.put(PutRequest.fromPartial({ key: Buffer.from(`p${i % 7}`), value: Buffer.from(`${i}`) })));
      reads.push(server.range(serializable('p', { rangeEnd: Buffer.from('q') })));
    }
    await Promise.all(puts);
    const answers = await Promise.all(reads);
    let last = 0n;
    for (const a of answers) {
      const rev = a.header!.revision;
      // Answered in the order they came in, never going back in revision.
      assert.ok(rev >= last, `revision ${rev} after ${last}`);
      last = rev;
      for (const kv of a.kvs) assert.ok(kv.modRevision <= rev, `kv at ${kv.modRevision} in an answer at ${rev}`);
      assert.equal(a.count, BigInt(a.kvs.length));
    }
    const after = await server.range(serializable('p', { rangeEnd: Buffer.from('q') }));
    assert.equal(after.kvs.length, 7);
  });
});

test('serializable ranges keep etcd errors: future and compacted revisions', async () => {
  await withMember(async (server) => {
    let rev = 0n;
    for (let i = 0; i < 3; i++) rev = (await server.put(PutRequest.fromPartial({ key: Buffer.from('e'), value: Buffer.from(`${i}`) }))).header!.revision;
    await assert.rejects(server.range(serializable('e', { revision: rev + 10n })), (err: unknown) => {
      assert.equal((err as Error).message, Errors.FutureRev.message);
      return true;
    });
    await server.compact(CompactionRequest.fromPartial({ revision: rev, physical: true }));
    await assert.rejects(server.range(serializable('e', { revision: rev - 1n })), (err: unknown) => {
      assert.equal((err as Error).message, Errors.Compacted.message);
      return true;
    });
    const at = await server.range(serializable('e', { revision: rev }));
    assert.equal(Buffer.from(at.kvs[0]!.value).toString(), '2');
  });
});

test('ReadTurn releases every waiter of a turn together, and later callers wait for the next turn', async () => {
  const turn = new ReadTurn();
  const order: string[] = [];
  const first = [turn.next().then(() => order.push('a')), turn.next().then(() => order.push('b'))];
  // Released at the first check phase: before an immediate queued after the turn began.
  setImmediate(() => order.push('immediate'));
  queueMicrotask(() => order.push('microtask'));
  await Promise.all(first);
  assert.deepEqual(order, ['microtask', 'a', 'b']);
  await turn.next();
  assert.deepEqual(order, ['microtask', 'a', 'b', 'immediate']);
});
