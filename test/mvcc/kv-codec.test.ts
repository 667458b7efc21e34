// The hand-written KeyValue encoder must produce exactly the bytes of the generated
// protobuf encoder (what etcd stores), including the edges of every varint width.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyValue as PbKeyValue } from '../../src/gen/mvccpb/kv.js';
import { decodeKeyValue, encodeKeyValue, encodeKeyValueAdopting, encodeTombstone } from '../../src/mvcc/kv-codec.js';
import type { KeyValue } from '../../src/mvcc/types.js';

function generated(kv: KeyValue): string {
  const msg = {
    key: kv.key,
    value: kv.value,
    createRevision: BigInt(kv.createRevision),
    modRevision: BigInt(kv.modRevision),
    version: BigInt(kv.version),
    lease: kv.lease,
  };
  return Buffer.from(PbKeyValue.encode(msg).finish()).toString('hex');
}

const NUMBERS = [0, 1, 127, 128, 16_383, 16_384, 2 ** 21 - 1, 2 ** 21, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 35, Number.MAX_SAFE_INTEGER];
const LEASES = [0n, 1n, 127n, 128n, 0x7fffffffffffffffn, 0x694d77a1c2b0d40bn, -1n, -(2n ** 63n)];
const SIZES = [0, 1, 127, 128, 300, 20_000];

test('encodeKeyValue writes the generated encoder bytes for every varint width', () => {
  for (const n of NUMBERS) {
    for (const lease of LEASES) {
      const kv = { key: Buffer.from('k'), value: Buffer.from('v'), createRevision: n, modRevision: n, version: n, lease };
      assert.equal(encodeKeyValue(kv).toString('hex'), generated(kv), `revision ${n} lease ${lease}`);
    }
  }
  for (const keySize of SIZES) {
    for (const valueSize of SIZES) {
      const kv = { key: Buffer.alloc(keySize, 0x61), value: Buffer.alloc(valueSize, 0x62), createRevision: 2, modRevision: 3, version: 2, lease: 0n };
      assert.equal(encodeKeyValue(kv).toString('hex'), generated(kv), `key ${keySize} value ${valueSize}`);
    }
  }
});

test('encodeKeyValue round-trips through decodeKeyValue, and a tombstone is the key alone', () => {
  const kv = { key: Buffer.from('foo'), value: Buffer.from('bar'), createRevision: 2, modRevision: 3, version: 2, lease: 0x694d77a1c2b0d40bn };
  assert.deepEqual(decodeKeyValue(encodeKeyValue(kv)), kv);
  assert.equal(encodeTombstone(Buffer.from('foo')).toString('hex'), '0a03666f6f');
});

test('encodeKeyValueAdopting writes the same bytes and leaves the kv pointing into them', () => {
  const key = Buffer.from('adopted-key');
  const value = Buffer.from('a value of some length');
  const kv = { key, value, createRevision: 5, modRevision: 9, version: 3, lease: 7n };
  const plain = encodeKeyValue({ ...kv });
  const out = encodeKeyValueAdopting(kv);
  assert.equal(out.toString('hex'), plain.toString('hex'));
  assert.equal(kv.key.buffer, out.buffer);
  assert.equal(kv.value.buffer, out.buffer);
  // The caller's Buffers may change afterwards: the kv keeps what was stored.
  key.fill(0);
  value.fill(0);
  assert.equal(kv.key.toString(), 'adopted-key');
  assert.equal(kv.value.toString(), 'a value of some length');
  assert.deepEqual(decodeKeyValue(out), { ...kv, key: Buffer.from('adopted-key'), value: Buffer.from('a value of some length') });
  // An empty value is not kept as a view of the caller's Buffer either.
  const source = Buffer.from('kv');
  const empty = { key: source.subarray(0, 1), value: source.subarray(2), createRevision: 1, modRevision: 1, version: 1, lease: 0n };
  const emptyOut = encodeKeyValueAdopting(empty);
  assert.equal(empty.value.length, 0);
  assert.equal(empty.value.buffer, emptyOut.buffer);
});
