// The hand codec of KV.Put must read and write exactly what the generated protobuf codec
// does, for every field, every varint width, and the shapes it hands to the generated one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PutRequest, PutResponse } from '../../src/gen/etcdserverpb/rpc.js';
import { decodePutRequest, encodePutResponse, encodePutResponseFramed } from '../../src/api/put-codec.js';
import { framedSerializers } from '../../src/api/grpc-message-reader.js';
import { writeBigVarint, bigVarintSize } from '../../src/pkg/varint.js';

const SIZES = [0, 1, 127, 128, 300, 16_383, 16_384, 70_000];
const LEASES = [0n, 1n, 127n, 128n, 2n ** 48n, 2n ** 49n, 0x7fffffffffffffffn, -1n, -(2n ** 63n)];
const BIG = [0n, 1n, 127n, 128n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 35n - 1n, 2n ** 35n, 2n ** 56n, 0x694d77a1c2b0d40bn, 2n ** 64n - 1n];

function request(keyLen: number, valueLen: number, lease: bigint, flags: number): PutRequest {
  return {
    key: Buffer.alloc(keyLen, 0x61),
    value: Buffer.alloc(valueLen, 0x62),
    lease,
    prevKv: (flags & 1) !== 0,
    ignoreValue: (flags & 2) !== 0,
    ignoreLease: (flags & 4) !== 0,
  };
}

function assertSameRequest(bytes: Uint8Array, what: string): void {
  assert.deepEqual(decodePutRequest(Buffer.from(bytes)), PutRequest.decode(bytes), what);
}

test('decodePutRequest reads what the generated decoder reads, every field and width', () => {
  for (const k of SIZES) {
    for (const v of SIZES) {
      const bytes = PutRequest.encode(request(k, v, 0n, 0)).finish();
      assertSameRequest(bytes, `key ${k} value ${v}`);
    }
  }
  for (const lease of LEASES) {
    for (let flags = 0; flags < 8; flags++) {
      const bytes = PutRequest.encode(request(3, 5, lease, flags)).finish();
      assertSameRequest(bytes, `lease ${lease} flags ${flags}`);
    }
  }
});

test('decodePutRequest: repeated fields, unknown fields, odd bools and truncation decode as the generated decoder', () => {
  const cases: [string, number[]][] = [
    ['empty message', []],
    ['key twice: the last wins', [0x0a, 1, 0x61, 0x0a, 2, 0x62, 0x63]],
    ['bool written as 2', [0x20, 2]],
    ['bool as a two-byte varint', [0x20, 0x81, 0x00]],
    ['unknown varint field 7', [0x0a, 1, 0x61, 0x38, 5]],
    ['unknown bytes field 15', [0x7a, 2, 1, 2, 0x0a, 1, 0x61]],
    ['zero-length key field present', [0x0a, 0, 0x12, 1, 0x62]],
  ];
  for (const [what, bytes] of cases) assertSameRequest(Uint8Array.from(bytes), what);
  // Truncated input fails in both.
  for (const bytes of [[0x0a, 5, 0x61], [0x18], [0x20], [0x12, 0x80]]) {
    assert.throws(() => PutRequest.decode(Uint8Array.from(bytes)));
    assert.throws(() => decodePutRequest(Buffer.from(bytes)), `bytes ${bytes}`);
  }
});

test('decodePutRequest copies key and value: the input buffer may be reused', () => {
  const input = Buffer.from(PutRequest.encode(request(4, 8, 0n, 0)).finish());
  const r = decodePutRequest(input);
  input.fill(0);
  assert.equal(r.key.toString(), 'aaaa');
  assert.equal(r.value.toString(), 'bbbbbbbb');
});

test('encodePutResponse writes the generated encoder bytes', () => {
  for (const clusterId of BIG) {
    for (const rev of BIG.filter((r) => r < 2n ** 63n)) {
      const v: PutResponse = { header: { clusterId, memberId: BIG[(Number(rev % 7n) + 3) % BIG.length]!, revision: rev, raftTerm: rev / 3n }, prevKv: undefined };
      assert.equal(encodePutResponse(v).toString('hex'), Buffer.from(PutResponse.encode(v).finish()).toString('hex'), `cluster ${clusterId} rev ${rev}`);
    }
  }
  const withPrev: PutResponse = {
    header: { clusterId: 5n, memberId: 6n, revision: 7n, raftTerm: 2n },
    prevKv: { key: Buffer.from('k'), value: Buffer.from('v'), createRevision: 2n, modRevision: 3n, version: 1n, lease: 0n },
  };
  const negative: PutResponse = { header: { clusterId: 5n, memberId: 6n, revision: -3n, raftTerm: 2n }, prevKv: undefined };
  for (const v of [withPrev, negative, { header: undefined, prevKv: undefined }]) {
    assert.equal(encodePutResponse(v).toString('hex'), Buffer.from(PutResponse.encode(v).finish()).toString('hex'));
  }
  // Out of an int64's range: refused by both.
  const tooLarge: PutResponse = { header: { clusterId: 5n, memberId: 6n, revision: 2n ** 63n, raftTerm: 2n }, prevKv: undefined };
  assert.throws(() => PutResponse.encode(tooLarge));
  assert.throws(() => encodePutResponse(tooLarge));
});

test('encodePutResponseFramed is the gRPC frame of the generated encoder bytes, and is the fast paths\' framed twin', () => {
  const framed = (v: PutResponse): string => {
    const msg = Buffer.from(PutResponse.encode(v).finish());
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(msg.length, 1);
    return Buffer.concat([prefix, msg]).toString('hex');
  };
  for (const clusterId of BIG) {
    for (const rev of BIG.filter((r) => r < 2n ** 63n)) {
      const v: PutResponse = { header: { clusterId, memberId: 9n, revision: rev, raftTerm: rev / 5n }, prevKv: undefined };
      assert.equal(encodePutResponseFramed(v).toString('hex'), framed(v), `cluster ${clusterId} rev ${rev}`);
    }
  }
  const withPrev: PutResponse = {
    header: { clusterId: 5n, memberId: 6n, revision: 7n, raftTerm: 2n },
    prevKv: { key: Buffer.from('k'), value: Buffer.from('v'), createRevision: 2n, modRevision: 3n, version: 1n, lease: 0n },
  };
  for (const v of [withPrev, { header: undefined, prevKv: undefined }]) assert.equal(encodePutResponseFramed(v).toString('hex'), framed(v));
  assert.throws(() => encodePutResponseFramed({ header: { clusterId: 5n, memberId: 6n, revision: 2n ** 63n, raftTerm: 2n }, prevKv: undefined }));
  assert.equal(framedSerializers.get(encodePutResponse), encodePutResponseFramed);
});

test('writeBigVarint and bigVarintSize agree with the generated writer', () => {
  for (const n of [...BIG, 2n ** 42n, 2n ** 49n - 1n, 2n ** 49n, 2n ** 63n]) {
    const out = Buffer.alloc(10);
    const end = writeBigVarint(out, 0, n);
    const expected = Buffer.from(PutRequest.encode({ ...request(0, 0, BigInt.asIntN(64, n), 0) }).finish()).subarray(1);
    assert.equal(out.subarray(0, end).toString('hex'), n === 0n ? '00' : expected.toString('hex'), `${n}`);
    assert.equal(bigVarintSize(n), end, `${n}`);
  }
});
