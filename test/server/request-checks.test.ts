// Table tests for the checks that keep malformed requests out of the raft log.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PutRequest, RequestOp, TxnRequest } from '../../src/gen/etcdserverpb/rpc.js';
import { Errors } from '../../src/server/errors.js';
import { checkPutRequest, checkTxnRequest } from '../../src/server/request-checks.js';

const k = (s: string) => Buffer.from(s);
const put = (key: string): RequestOp => RequestOp.fromPartial({ requestPut: { key: k(key), value: k('v') } });
const del = (key: string, end = ''): RequestOp => RequestOp.fromPartial({ requestDeleteRange: { key: k(key), rangeEnd: k(end) } });
const get = (key: string): RequestOp => RequestOp.fromPartial({ requestRange: { key: k(key) } });
const txn = (success: RequestOp[], failure: RequestOp[] = []): RequestOp =>
  RequestOp.fromPartial({ requestTxn: { success, failure } });

test('put checks: empty key, ignore_value with a value, ignore_lease with a lease', () => {
  assert.throws(() => checkPutRequest(PutRequest.fromPartial({ value: k('v') })), Errors.EmptyKey);
  assert.throws(() => checkPutRequest(PutRequest.fromPartial({ key: k('a'), value: k('v'), ignoreValue: true })), Errors.ValueProvided);
  assert.throws(() => checkPutRequest(PutRequest.fromPartial({ key: k('a'), lease: 5n, ignoreLease: true })), Errors.LeaseProvided);
  assert.doesNotThrow(() => checkPutRequest(PutRequest.fromPartial({ key: k('a'), ignoreValue: true })));
});

test('txn op limits count compares and each branch separately', () => {
  const ops = (n: number) => Array.from({ length: n }, (_, i) => put(`k${i}`));
  assert.doesNotThrow(() => checkTxnRequest(TxnRequest.fromPartial({ success: ops(128), failure: ops(128) }), 128));
  assert.throws(() => checkTxnRequest(TxnRequest.fromPartial({ success: ops(129) }), 128), Errors.TooManyOps);
  assert.throws(() => checkTxnRequest(TxnRequest.fromPartial({ failure: ops(3) }), 2), Errors.TooManyOps);
  const compares = Array.from({ length: 3 }, () => ({ key: k('a') }));
  assert.throws(() => checkTxnRequest(TxnRequest.fromPartial({ compare: compares }), 2), Errors.TooManyOps);
});

const duplicateCases: { name: string; success: RequestOp[]; failure?: RequestOp[]; dup: boolean }[] = [
  { name: 'two puts of one key', success: [put('a'), put('a')], dup: true },
  { name: 'puts of different keys', success: [put('a'), put('b')], dup: false },
  { name: 'put and delete of the same key', success: [del('a'), put('a')], dup: true },
  { name: 'put inside a deleted range', success: [del('a', 'c'), put('b')], dup: true },
  { name: 'put at the exclusive end of a deleted range', success: [del('a', 'c'), put('c')], dup: false },
  // etcd compares the "\0" range end literally, so a from-key delete never conflicts.
  { name: 'put after a from-key delete', success: [del('a', '\0'), put('zzz')], dup: false },
  { name: 'two deletes of one key', success: [del('a'), del('a')], dup: false },
  { name: 'same key in the two branches of a nested txn', success: [txn([put('a')], [put('a')])], dup: false },
  { name: 'nested put repeating an outer put', success: [put('a'), txn([put('a')])], dup: true },
  { name: 'nested put under an outer delete', success: [del('a'), txn([], [put('a')])], dup: true },
  { name: 'nested delete covering an outer put', success: [put('a'), txn([del('a')])], dup: true },
  { name: 'same key in success and failure', success: [put('a')], failure: [put('a')], dup: false },
  { name: 'reads never conflict', success: [get('a'), put('a'), get('a')], dup: false },
];

for (const c of duplicateCases) {
  test(`duplicate key check: ${c.name}`, () => {
    const r = TxnRequest.fromPartial({ success: c.success, failure: c.failure ?? [] });
    if (c.dup) assert.throws(() => checkTxnRequest(r, 128), Errors.DuplicateKey);
    else assert.doesNotThrow(() => checkTxnRequest(r, 128));
  });
}

test('an op with no request is refused as etcd does', () => {
  assert.throws(() => checkTxnRequest(TxnRequest.fromPartial({ success: [RequestOp.fromPartial({})] }), 128), Errors.KeyNotFound);
});

test('empty keys inside txn ops and compares are refused', () => {
  assert.throws(() => checkTxnRequest(TxnRequest.fromPartial({ success: [put('')] }), 128), Errors.EmptyKey);
  assert.throws(() => checkTxnRequest(TxnRequest.fromPartial({ compare: [{ key: k('') }] }), 128), Errors.EmptyKey);
});
