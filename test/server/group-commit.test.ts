// Concurrent writes share one WAL fsync (group commit): proposals that arrive while a
// save is in flight go out together in the next one. Every write is still acknowledged
// only after its save resolved.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutRequest, RangeRequest } from '../../src/gen/etcdserverpb/rpc.js';
import { RawNode } from '../../src/raft/raw-node.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import type { Entry, HardState } from '../../src/raft/types.js';
import { Backend } from '../../src/storage/backend.js';
import { KVStore } from '../../src/mvcc/kv-store.js';
import { WAL } from '../../src/wal/wal.js';
import { EtcdServer } from '../../src/server/etcd-server.js';
import { Membership, encodeMember } from '../../src/server/membership.js';
import { seeded } from '../raft/sim-network.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const CONCURRENT_PUTS = 500;

test('concurrent puts share WAL fsyncs and each is acknowledged only after its save', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
  const backend = Backend.open(join(dir, 'db'));
  const store = await KVStore.open(backend);
  const wal = await WAL.create(join(dir, 'wal'), new Uint8Array(16));
  let saves = 0;
  let durableIndex = 0;
  const countingLog = {
    save: async (hs: HardState | undefined, entries: Entry[]) => {
      saves++;
      await wal.save(hs, entries);
      if (entries.length > 0) durableIndex = entries[entries.length - 1]!.index;
    },
  };
  const storage = new MemoryStorage();
  const node = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage, maxSizePerMsg: 1 << 20, maxInflightMsgs: 256, checkQuorum: true, preVote: true, random: seeded(1) });
  node.bootstrap([{ id: 1n, context: encodeMember({ id: 1n, name: 'm', peerURLs: ['http://127.0.0.1:1'], clientURLs: [], isLearner: false }) }]);
  const membership = new Membership(1n, { saveMember: () => undefined, deleteMember: () => undefined, loadMembers: () => ({ members: [], removed: [] }), saveClusterVersion: () => undefined, loadClusterVersion: () => '' });
  const server = new EtcdServer(
    { memberId: 1n, name: 'm', clientURLs: ['http://127.0.0.1:2'], heartbeatMs: 100, electionMs: 1000, maxRequestBytes: 1 << 20, maxTxnOps: 128, logger: quiet, backendSize: () => ({ size: 0, inUse: 0 }) },
    { node, storage, wal: countingLog, store, membership },
  );
  try {
    server.start();
    await server.ready;
    const savesBefore = saves;
    const acked = await Promise.all(
      Array.from({ length: CONCURRENT_PUTS }, async (_, i) => {
        const resp = await server.put(PutRequest.fromPartial({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) }));
        // Nothing is applied (so nothing answered) beyond what the WAL has made durable.
        const applied = server.status().raftAppliedIndex;
        assert.ok(applied <= durableIndex, `applied ${applied} beyond durable ${durableIndex}`);
        return resp.header!.revision;
      }),
    );
    const used = saves - savesBefore;
    assert.equal(new Set(acked).size, CONCURRENT_PUTS, 'every put got its own revision');
    assert.ok(used < CONCURRENT_PUTS / 4, `${CONCURRENT_PUTS} concurrent puts took ${used} WAL saves`);
    const all = await server.range(RangeRequest.fromPartial({ key: Buffer.from('k'), rangeEnd: Buffer.from('l'), countOnly: true }));
    assert.equal(all.count, BigInt(CONCURRENT_PUTS));
  } finally {
    await server.stop();
    await wal.close();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
