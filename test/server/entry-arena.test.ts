// The raft log's payload arena: entries it is handed are equal to the originals, payloads
// it gave out (a leader's own put proposals) stay where they are, and nothing it hands out
// shares bytes with an unrelated buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EntryArena } from '../../src/server/entry-arena.js';
import { EntryType, type Entry } from '../../src/raft/types.js';
import { encodePutProposal } from '../../src/server/proposal-encoding.js';
import { InternalRaftRequest } from '../../src/gen/etcdserverpb/raft_internal.js';

function entry(index: number, data: Uint8Array): Entry {
  return { term: 2, index, type: EntryType.Normal, data };
}

test('a copied entry equals the original and no longer shares its bytes', () => {
  const arena = new EntryArena();
  const pool = Buffer.from('0123456789abcdef');
  const original = entry(1, pool.subarray(4, 10));
  const [copy] = arena.copy([original]);
  assert.notEqual(copy, original);
  assert.deepEqual({ ...copy!, data: Buffer.from(copy!.data) }, { ...original, data: Buffer.from('456789') });
  pool.fill(0);
  assert.equal(Buffer.from(copy!.data).toString(), '456789');
});

test('an entry whose payload the arena allocated is kept as it is', () => {
  const arena = new EntryArena();
  const req = { ID: 0n, put: { key: Buffer.from('k'), value: Buffer.from('v'), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false }, header: { ID: 7n, username: '', authRevision: 0n } } as InternalRaftRequest;
  const data = encodePutProposal(req, (n) => arena.alloc(n));
  assert.equal(Buffer.from(data).toString('hex'), Buffer.from(InternalRaftRequest.encode(req).finish()).toString('hex'));
  const own = entry(5, data);
  const other = entry(6, Buffer.from('elsewhere'));
  const [a, b] = arena.copy([own, other]);
  assert.equal(a, own);
  assert.notEqual(b, other);
  assert.equal(Buffer.from(b!.data).toString(), 'elsewhere');
  const onlyOwn = [own, entry(7, new Uint8Array())];
  assert.deepEqual(arena.copy(onlyOwn), onlyOwn);
});

test('allocations never overlap, across chunk boundaries too', () => {
  const arena = new EntryArena();
  const given: Buffer[] = [];
  // 300 KB in 10 KB pieces: more than one 256 KiB chunk.
  for (let i = 0; i < 30; i++) {
    const b = arena.alloc(10_000);
    b.fill(i);
    given.push(b);
  }
  given.forEach((b, i) => assert.ok(b.every((x) => x === i), `allocation ${i} was overwritten`));
  // 26 pieces fill the first chunk: the last of them, made before the current chunk
  // began, is still recognised as the arena's, as is the first of the current chunk.
  assert.notEqual(given[25]!.buffer, given[26]!.buffer);
  const kept = arena.copy([entry(1, given[25]!), entry(2, given[26]!)]);
  assert.equal(kept[0]!.data, given[25]);
  assert.equal(kept[1]!.data, given[26]);
});

test('large payloads get a buffer of their own', () => {
  const arena = new EntryArena();
  const big = arena.alloc(20_000);
  assert.equal(big.length, 20_000);
  big.fill(1);
  const [copy] = arena.copy([entry(1, big)]);
  assert.equal(copy!.data.length, 20_000);
  assert.equal(copy!.data.byteLength, copy!.data.buffer.byteLength);
});
