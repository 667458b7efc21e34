// The client against a spawned real etcd 3.4.23: KV calls, transactions, compaction,
// maintenance, and 64-bit ids that must survive exactly (member and cluster ids are
// random uint64s, almost always above 2^53).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Client, ClientError } from '../../src/client/client.js';
import { Compare, Compare_CompareResult, Compare_CompareTarget, MemberRemoveRequest } from '../../src/gen/etcdserverpb/rpc.js';
import { etcdctl, removeDir, startMember, stopMember, type Member } from '../helpers/processes.js';

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

test('put, range and deleteRange see each other, with revisions and previous values', async () => {
  const p1 = await client.put({ key: b('kv/a'), value: b('1') });
  const p2 = await client.put({ key: b('kv/a'), value: b('2'), prevKv: true });
  assert.equal(p2.header!.revision, p1.header!.revision + 1n);
  assert.equal(p2.prevKv!.value.toString(), '1');
  await client.put({ key: b('kv/b'), value: b('3') });

  const one = await client.range({ key: b('kv/a') });
  assert.equal(one.kvs.length, 1);
  assert.equal(one.kvs[0]!.value.toString(), '2');
  assert.equal(one.kvs[0]!.version, 2n);
  assert.equal(one.kvs[0]!.createRevision, p1.header!.revision);
  assert.equal(one.kvs[0]!.modRevision, p2.header!.revision);

  const prefix = await client.range({ key: b('kv/'), rangeEnd: b('kv0') });
  assert.deepEqual(prefix.kvs.map((kv) => kv.key.toString()), ['kv/a', 'kv/b']);
  assert.equal(prefix.count, 2n);

  const old = await client.range({ key: b('kv/a'), revision: p1.header!.revision });
  assert.equal(old.kvs[0]!.value.toString(), '1');

  const del = await client.deleteRange({ key: b('kv/'), rangeEnd: b('kv0'), prevKv: true });
  assert.equal(del.deleted, 2n);
  assert.deepEqual(del.prevKvs.map((kv) => kv.value.toString()), ['2', '3']);
  assert.equal((await client.range({ key: b('kv/a') })).kvs.length, 0);
});

test('txn takes the success branch when compares hold and the failure branch otherwise', async () => {
  await client.put({ key: b('txn/k'), value: b('v1') });
  const ok = await client.txn({
    compare: [{ key: b('txn/k'), result: Compare_CompareResult.EQUAL, target: Compare_CompareTarget.VALUE, value: b('v1') }],
    success: [{ requestPut: { key: b('txn/k'), value: b('v2') } }, { requestRange: { key: b('txn/k') } }],
    failure: [{ requestDeleteRange: { key: b('txn/k') } }],
  });
  assert.equal(ok.succeeded, true);
  assert.equal(ok.responses.length, 2);
  assert.ok(ok.responses[0]!.responsePut !== undefined);
  assert.equal(ok.responses[1]!.responseRange!.kvs[0]!.value.toString(), 'v2');

  // version == 0 ("the key does not exist"): the key exists, so this compare is false.
  const no = await client.txn({
    compare: [{ key: b('txn/k'), result: Compare_CompareResult.EQUAL, target: Compare_CompareTarget.VERSION, version: 0n }],
    success: [{ requestPut: { key: b('txn/k'), value: b('never') } }],
    failure: [{ requestRange: { key: b('txn/k') } }],
  });
  assert.equal(no.succeeded, false);
  assert.equal(no.responses[0]!.responseRange!.kvs[0]!.value.toString(), 'v2');

  // A oneof member set to its default value is still written (field 4, varint 0), as Go
  // writes it; a plain proto3 field at its default would be left out.
  const bytes = Compare.encode(Compare.fromPartial({ target: Compare_CompareTarget.VERSION, version: 0n })).finish();
  assert.deepEqual([...bytes], [0x20, 0x00]); // target VERSION is 0 too, so only field 4 appears
});

test('compaction makes older revisions unreadable with etcd\'s error and code', async () => {
  const first = await client.put({ key: b('cmp/k'), value: b('old') });
  const second = await client.put({ key: b('cmp/k'), value: b('new') });
  await client.compact({ revision: second.header!.revision, physical: true });
  await assert.rejects(client.range({ key: b('cmp/k'), revision: first.header!.revision }), (e: unknown) => {
    assert.ok(e instanceof ClientError);
    assert.equal(e.code, GrpcStatus.OUT_OF_RANGE);
    assert.equal(e.message, 'etcdserver: mvcc: required revision has been compacted');
    assert.equal(e.userText, 'etcdserver: mvcc: required revision has been compacted');
    return true;
  });
  const hkv = await client.hashKV(0n);
  assert.equal(hkv.compactRevision, second.header!.revision);
});

test('errors carry the gRPC code and etcd\'s message', async () => {
  await assert.rejects(client.put({ key: b(''), value: b('x') }), (e: unknown) => {
    assert.ok(e instanceof ClientError);
    assert.equal(e.code, GrpcStatus.INVALID_ARGUMENT);
    assert.equal(e.message, 'etcdserver: key is not provided');
    assert.equal(e.grpcText, 'rpc error: code = InvalidArgument desc = etcdserver: key is not provided');
    return true;
  });
});

test('requests above 2 MiB are refused before sending, with Go\'s wording', async () => {
  const big = Buffer.alloc(2 * 1024 * 1024 + 1, 0x61);
  await assert.rejects(client.put({ key: b('big'), value: big }), /^ClientError: trying to send message larger than max \(\d+ vs\. 2097152\)$/);
});

test('status describes the member', async () => {
  const s = await client.status();
  assert.equal(s.version, '3.4.23');
  assert.equal(s.leader, s.header!.memberId);
  assert.ok(s.dbSize > 0n && s.dbSizeInUse > 0n && s.dbSizeInUse <= s.dbSize);
  assert.ok(s.raftIndex > 0n && s.raftAppliedIndex > 0n && s.raftTerm > 0n);
  assert.equal(s.isLearner, false);
  assert.deepEqual(s.errors, []);
  assert.deepEqual((await client.alarmList()).alarms, []);
  assert.ok((await client.hash()).hash > 0);
  await client.defragment();
});

test('member and cluster ids round-trip exactly as uint64 (compared with the real etcdctl)', async () => {
  const list = await client.memberList();
  assert.equal(list.members.length, 1);
  const me = list.members[0]!;
  assert.equal(me.ID, list.header!.memberId);
  // etcdctl's simple output prints the member id in hex.
  const simple = etcdctl('real', ['--endpoints', etcd.endpoint, 'member', 'list']);
  assert.equal(simple.status, 0, simple.stderr);
  assert.equal(simple.stdout.split(',')[0], me.ID.toString(16));
  // Its JSON prints cluster_id and member_id as bare uint64 numbers; compare the text.
  const json = etcdctl('real', ['--endpoints', etcd.endpoint, 'endpoint', 'status', '-w', 'json']);
  assert.equal(json.status, 0, json.stderr);
  assert.equal(/"cluster_id":(\d+)/.exec(json.stdout)![1], list.header!.clusterId.toString());
  assert.equal(/"member_id":(\d+)/.exec(json.stdout)![1], me.ID.toString());

  // An id the server chose travels back out exactly: add a learner, find it by etcdctl's
  // hex id, then remove it by the bigint we hold.
  const added = await client.memberAdd(['http://127.0.0.1:1'], true);
  const learner = added.member!;
  assert.equal(learner.isLearner, true);
  const after1 = etcdctl('real', ['--endpoints', etcd.endpoint, 'member', 'list']);
  assert.ok(after1.stdout.includes(`${learner.ID.toString(16)}, unstarted, , http://127.0.0.1:1, , true`), after1.stdout);
  await assert.rejects(client.memberPromote(learner.ID), (e: unknown) => {
    assert.ok(e instanceof ClientError);
    assert.equal(e.code, GrpcStatus.FAILED_PRECONDITION);
    assert.equal(e.message, 'etcdserver: can only promote a learner member which is in sync with leader');
    return true;
  });
  const removed = await client.memberRemove(learner.ID);
  assert.deepEqual(removed.members.map((m) => m.ID), [me.ID]);

  // The codec keeps the top of the uint64 range.
  const max = 2n ** 64n - 1n;
  assert.equal(MemberRemoveRequest.decode(MemberRemoveRequest.encode({ ID: max }).finish()).ID, max);
});

test('forEndpoint talks to that endpoint on the shared connection', async () => {
  const one = client.forEndpoint(etcd.clientUrl);
  const s = await one.status();
  one.close();
  // The parent still works: closing the per-endpoint client left the connection open.
  assert.equal((await client.status()).header!.memberId, s.header!.memberId);
});
