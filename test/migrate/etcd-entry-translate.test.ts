// etcd's raft entries as etcd-ts's log holds them: v3 requests unchanged, the v2 requests
// etcd 3.4 proposes for membership turned into their v3 requests, other v2 writes emptied,
// conf changes re-encoded with the member's exact id.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { translateEntry } from '../../src/migrate/etcd-entry-translate.js';
import { Request } from '../../src/gen/etcdserverpb/etcdserver.js';
import { InternalRaftRequest } from '../../src/gen/etcdserverpb/raft_internal.js';
import { decodeConfChange } from '../../src/raft/confchange-codec.js';
import { decodeMember, isPromotion } from '../../src/server/membership.js';
import { ConfChangeType, EntryType } from '../../src/raft/types.js';

function v2(method: string, path: string, val: string): Uint8Array {
  return Request.encode(Request.fromPartial({ ID: 7n, Method: method, Path: path, Val: val })).finish();
}

test('a v2 publish of member attributes becomes a v3 ClusterMemberAttrSet; the version a ClusterVersionSet', () => {
  const attrs = translateEntry({ term: 2, index: 3, type: 0, data: v2('PUT', '/0/members/3760a4ec3b84f7fa/attributes', '{"name":"default","clientURLs":["http://127.0.0.1:2379"]}') });
  assert.deepEqual(InternalRaftRequest.decode(attrs.data).clusterMemberAttrSet, { memberID: 0x3760a4ec3b84f7fan, memberAttributes: { name: 'default', clientUrls: ['http://127.0.0.1:2379'] } });
  const version = translateEntry({ term: 2, index: 4, type: 0, data: v2('PUT', '/0/version', '3.4.0') });
  assert.deepEqual(InternalRaftRequest.decode(version.data).clusterVersionSet, { ver: '3.4.0' });
  const other = translateEntry({ term: 2, index: 5, type: 0, data: v2('PUT', '/foo', 'bar') });
  assert.equal(other.data.length, 0);
});

test('a v3 request is kept byte for byte', () => {
  const data = InternalRaftRequest.encode(InternalRaftRequest.fromPartial({ header: { ID: 9n }, put: { key: Buffer.from('k'), value: Buffer.from('v') } })).finish();
  assert.deepEqual(translateEntry({ term: 2, index: 6, type: 0, data }), { term: 2, index: 6, type: EntryType.Normal, data });
});

test('a raftpb.ConfChange becomes etcd-ts\'s conf change, with the id from the change, not the JSON number', () => {
  const context = Buffer.from('{"id":12345678901234567890,"peerURLs":["http://127.0.0.1:2380"],"name":"m1"}');
  const w = new BinaryWriter();
  w.uint32(8).uint64(5n).uint32(16).int32(ConfChangeType.AddNode).uint32(24).uint64(12345678901234567890n).uint32(34).bytes(context);
  const e = translateEntry({ term: 1, index: 1, type: 1, data: w.finish() });
  assert.equal(e.type, EntryType.ConfChange);
  const cc = decodeConfChange(e.data);
  assert.equal(cc.nodeId, 12345678901234567890n);
  assert.equal(cc.id, 5n);
  assert.deepEqual(decodeMember(cc.context), { id: 12345678901234567890n, name: 'm1', peerURLs: ['http://127.0.0.1:2380'], clientURLs: [], isLearner: false });
});

test('an etcd promotion stays a promotion, so one etcd refused (an id it did not know) adds no member', () => {
  // etcd's promote context: the member with only its id, and isPromote.
  const context = Buffer.from('{"id":1234,"peerURLs":null,"isPromote":true}');
  const w = new BinaryWriter();
  w.uint32(8).uint64(6n).uint32(16).int32(ConfChangeType.AddNode).uint32(24).uint64(1234n).uint32(34).bytes(context);
  const cc = decodeConfChange(translateEntry({ term: 2, index: 5, type: 1, data: w.finish() }).data);
  assert.equal(cc.nodeId, 1234n);
  assert.equal(isPromotion(cc.context), true);
});
