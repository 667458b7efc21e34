// A batch of applied entries records the consistent index once, for its last entry: the
// index survives a restart with the writes it covers, and entries at or below it are not
// applied again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InternalRaftRequest } from '../../src/gen/etcdserverpb/raft_internal.js';
import { PutRequest } from '../../src/gen/etcdserverpb/rpc.js';
import { encodeMessage } from '../../src/pkg/proto-encode.js';
import { Applier } from '../../src/server/applier.js';
import { Membership } from '../../src/server/membership.js';
import { Backend } from '../../src/storage/backend.js';
import { KVStore } from '../../src/mvcc/kv-store.js';
import { EntryType, type Entry } from '../../src/raft/types.js';

function putEntry(index: number, key: string): Entry {
  const req = InternalRaftRequest.fromPartial({
    header: { ID: BigInt(index), username: '', authRevision: 0n },
    put: PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(`v${index}`) }),
  });
  return { term: 3, index, type: EntryType.Normal, data: encodeMessage(InternalRaftRequest, req) };
}

function applierOver(store: KVStore, answered: bigint[]): Applier {
  const membership = new Membership(1n, { saveMember: () => undefined, deleteMember: () => undefined, loadMembers: () => ({ members: [], removed: [] }), saveClusterVersion: () => undefined, loadClusterVersion: () => '' });
  return new Applier(store, membership, {
    applied: (id) => answered.push(id),
    confChange: () => undefined,
    memberPublished: () => undefined,
    clusterVersionSet: () => undefined,
  });
}

test('applyEntries records the last index of the batch with its writes, and skips what was applied', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'applier-batch-'));
  let backend = Backend.open(join(dir, 'db'));
  try {
    let store = await KVStore.open(backend);
    const answered: bigint[] = [];
    const applier = applierOver(store, answered);
    applier.applyEntries([putEntry(1, 'a'), { term: 3, index: 2, type: EntryType.Normal, data: new Uint8Array(0) }, putEntry(3, 'b')]);
    assert.deepEqual(answered, [1n, 3n]);
    assert.equal(store.consistentIndex(), 3);
    assert.equal(store.consistentTerm(), 3);
    await backend.close();

    backend = Backend.open(join(dir, 'db'));
    store = await KVStore.open(backend);
    assert.equal(store.consistentIndex(), 3, 'the batch index reached the file');
    assert.equal(store.rev(), 3, 'with both puts');
    const again: bigint[] = [];
    // A replay after restart: entries up to 3 are skipped, 4 is applied.
    applierOver(store, again).applyEntries([putEntry(2, 'x'), putEntry(3, 'b'), putEntry(4, 'c')]);
    assert.deepEqual(again, [4n]);
    assert.equal(store.consistentIndex(), 4);
    assert.equal(store.rev(), 4);
  } finally {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
