// The hand codec of Lease.LeaseKeepAlive must read and write exactly what the generated
// protobuf codec does, for every id width (negative ids included) and the shapes it hands
// to the generated one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseKeepAliveRequest, LeaseKeepAliveResponse, type ResponseHeader } from '../../src/gen/etcdserverpb/rpc.js';
import { decodeKeepAliveId, encodeKeepAliveResponse } from '../../src/api/lease-keepalive-codec.js';

const IDS = [0n, 1n, 127n, 128n, 2n ** 28n - 1n, 2n ** 28n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 35n, 2n ** 49n, 2n ** 56n, 0x694d77a1c2b0d40bn, 0x7fffffffffffffffn, -1n, -2n, -(2n ** 32n), -(2n ** 63n)];
const TTLS = [0, 1, 2, 127, 128, 3600, 9_000_000_000];
const HEADERS: ResponseHeader[] = [
  { clusterId: 0xcdf818194e3a8c32n, memberId: 0x8e9e05c52164694dn, revision: 1n, raftTerm: 2n },
  { clusterId: 1n, memberId: 2n, revision: 0n, raftTerm: 0n },
  { clusterId: 2n ** 64n - 1n, memberId: 2n ** 64n - 1n, revision: 0x7fffffffffffffffn, raftTerm: 2n ** 40n },
];

test('a keep-alive request decodes to the generated decoder\'s id', () => {
  for (const ID of IDS) {
    const bytes = LeaseKeepAliveRequest.encode({ ID }).finish();
    assert.equal(decodeKeepAliveId(bytes), ID, `id ${ID}`);
  }
});

test('unusual request shapes decode as the generated decoder reads them', () => {
  const shapes: Uint8Array[] = [
    // the id twice: the last one counts
    Buffer.concat([LeaseKeepAliveRequest.encode({ ID: 5n }).finish(), LeaseKeepAliveRequest.encode({ ID: 7n }).finish()]),
    // an unknown field after the id
    Buffer.concat([LeaseKeepAliveRequest.encode({ ID: 9n }).finish(), Buffer.from([0x10, 0x01])]),
    // a varint padded with continuation bytes
    Buffer.from([0x08, 0x85, 0x80, 0x80, 0x00]),
    // a ten-byte varint whose last byte holds more than bit 63
    Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x03]),
  ];
  for (const b of shapes) assert.equal(decodeKeepAliveId(b), LeaseKeepAliveRequest.decode(b).ID, Buffer.from(b).toString('hex'));
});

test('a request the generated decoder refuses is refused', () => {
  const truncated = Buffer.from([0x08, 0x80]);
  assert.throws(() => LeaseKeepAliveRequest.decode(truncated));
  assert.throws(() => decodeKeepAliveId(truncated));
});

test('a keep-alive response encodes byte for byte as the generated encoder writes it', () => {
  for (const header of HEADERS) {
    for (const ID of IDS) {
      for (const ttl of TTLS) {
        const want = Buffer.from(LeaseKeepAliveResponse.encode({ header, ID, TTL: BigInt(ttl) }).finish());
        assert.deepEqual(encodeKeepAliveResponse(header, ID, ttl), want, `header ${header.revision} id ${ID} ttl ${ttl}`);
      }
    }
  }
});
