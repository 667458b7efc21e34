// The applier takes the proposer's decoded request instead of decoding the entry only when
// the entry's bytes are exactly that request's encoding; any other entry is decoded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InternalRaftRequest } from '../../src/gen/etcdserverpb/raft_internal.js';
import { PutRequest, RangeRequest } from '../../src/gen/etcdserverpb/rpc.js';
import { encodeMessage } from '../../src/pkg/proto-encode.js';
import { heldRequestFor, peekRequestId, type ProposedRequest } from '../../src/server/proposal-handoff.js';
import { Applier } from '../../src/server/applier.js';
import { Membership } from '../../src/server/membership.js';
import { applyRange } from '../../src/server/kv-apply.js';
import { Backend } from '../../src/storage/backend.js';
import { KVStore } from '../../src/mvcc/kv-store.js';
import { EntryType } from '../../src/raft/types.js';

function putRequest(id: bigint, key: string, value: string, username = ''): InternalRaftRequest {
  return InternalRaftRequest.fromPartial({
    header: { ID: id, username, authRevision: 0n },
    put: PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(value) }),
  });
}

test('peekRequestId reads the header id of every size the proposer encodes', () => {
  for (const id of [1n, 127n, 128n, 2n ** 28n - 1n, 2n ** 28n, 0x8e3a_1b2c_0000_0001n, 2n ** 64n - 1n]) {
    const data = encodeMessage(InternalRaftRequest, putRequest(id, 'k', 'v'));
    assert.equal(peekRequestId(data), id, `id ${id}`);
  }
});

test('peekRequestId gives up (the caller decodes) on other layouts', () => {
  // No header at all: the legacy top-level ID only.
  assert.equal(peekRequestId(encodeMessage(InternalRaftRequest, InternalRaftRequest.fromPartial({ ID: 5n }))), undefined);
  // A header whose id is zero (omitted by the encoder) and a user name first.
  assert.equal(peekRequestId(encodeMessage(InternalRaftRequest, putRequest(0n, 'k', 'v', 'root'))), undefined);
  // A header longer than 127 bytes (a very long user name).
  assert.equal(peekRequestId(encodeMessage(InternalRaftRequest, putRequest(9n, 'k', 'v', 'u'.repeat(200)))), undefined);
  // Truncated bytes.
  assert.equal(peekRequestId(new Uint8Array([0xa2, 0x06, 0x05, 0x08])), undefined);
  assert.equal(peekRequestId(new Uint8Array([0xa2, 0x06, 0x05, 0x08, 0x80, 0x80])), undefined);
});

test('heldRequestFor hands back the request only for its exact bytes', () => {
  const req = putRequest(7n, 'a', 'one');
  const data = encodeMessage(InternalRaftRequest, req);
  const held: ProposedRequest = { data, req };
  assert.equal(heldRequestFor(Buffer.from(data), held), req);
  assert.equal(heldRequestFor(encodeMessage(InternalRaftRequest, putRequest(7n, 'a', 'two')), held), undefined);
  assert.equal(heldRequestFor(encodeMessage(InternalRaftRequest, putRequest(7n, 'a', 'one1')), held), undefined);
  assert.equal(heldRequestFor(data, undefined), undefined);
});

async function withApplier(
  proposed: (id: bigint) => ProposedRequest | undefined,
  fn: (apply: (index: number, data: Uint8Array) => void, valueOf: (key: string) => string | undefined, answered: Map<bigint, unknown>) => void,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-'));
  const backend = Backend.open(join(dir, 'db'));
  const store = await KVStore.open(backend);
  const membership = new Membership(1n, { saveMember: () => undefined, deleteMember: () => undefined, loadMembers: () => ({ members: [], removed: [] }), saveClusterVersion: () => undefined, loadClusterVersion: () => '' });
  const answered = new Map<bigint, unknown>();
  const applier = new Applier(store, membership, {
    applied: (id, result) => answered.set(id, result.resp ?? result.err),
    confChange: () => undefined,
    memberPublished: () => undefined,
    clusterVersionSet: () => undefined,
    proposed,
  });
  const valueOf = (key: string): string | undefined => {
    const t = store.read();
    try {
      return applyRange(t, RangeRequest.fromPartial({ key: Buffer.from(key) })).kvs[0]?.value.toString();
    } finally {
      t.end();
    }
  };
  try {
    fn((index, data) => applier.applyEntry({ term: 2, index, type: EntryType.Normal, data }), valueOf, answered);
  } finally {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the applier applies the held request when the entry is its encoding', async () => {
  const logged = putRequest(11n, 'k', 'logged');
  const data = encodeMessage(InternalRaftRequest, logged);
  // A held object that differs from its bytes shows which of the two was applied; the
  // server never holds such a pair (it encodes `data` from `req`).
  const held = putRequest(11n, 'k', 'held');
  await withApplier(
    (id) => (id === 11n ? { data, req: held } : undefined),
    (apply, valueOf, answered) => {
      apply(1, Buffer.from(data));
      assert.equal(valueOf('k'), 'held');
      assert.ok(answered.has(11n));
    },
  );
});

test('an entry that is not the held proposal is decoded (another proposer, a new leader\'s entry)', async () => {
  // This member proposed id 11 with value "mine"; the log holds, at that place, an entry
  // with the same id but other bytes (a different proposal that won the index).
  const mine = putRequest(11n, 'k', 'mine');
  const theirs = putRequest(11n, 'k', 'theirs');
  await withApplier(
    (id) => (id === 11n ? { data: encodeMessage(InternalRaftRequest, mine), req: mine } : undefined),
    (apply, valueOf, answered) => {
      apply(1, encodeMessage(InternalRaftRequest, theirs));
      assert.equal(valueOf('k'), 'theirs');
      assert.ok(answered.has(11n));
      // A follower holds nothing for what the leader's clients proposed.
      apply(2, encodeMessage(InternalRaftRequest, putRequest(12n, 'f', 'from-leader')));
      assert.equal(valueOf('f'), 'from-leader');
      assert.ok(answered.has(12n));
    },
  );
});
