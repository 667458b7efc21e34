// Which keys a KV request reads and writes, checked against the auth store the way
// etcd's auth applier checks them: a range needs read on [key, range_end); a put needs
// write on its key (and read, with prev_kv); a delete needs write on its range (and
// read, with prev_kv); a txn needs read on every compare and the permissions of every
// op in both branches, nested txns included.

import type { AuthStore } from '../auth/auth-store.js';
import type { AuthInfo } from '../auth/token-provider.js';
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from '../gen/etcdserverpb/rpc.js';

export function checkRangeAuth(auth: AuthStore, ai: AuthInfo | undefined, r: RangeRequest): void {
  auth.checkOp(ai, r.key, r.rangeEnd, 'read');
}

export function checkPutAuth(auth: AuthStore, ai: AuthInfo | undefined, r: PutRequest): void {
  auth.checkOp(ai, r.key, undefined, 'write');
  if (r.prevKv) auth.checkOp(ai, r.key, undefined, 'read');
}

export function checkDeleteAuth(auth: AuthStore, ai: AuthInfo | undefined, r: DeleteRangeRequest): void {
  auth.checkOp(ai, r.key, r.rangeEnd, 'write');
  if (r.prevKv) auth.checkOp(ai, r.key, r.rangeEnd, 'read');
}

export function checkTxnAuth(auth: AuthStore, ai: AuthInfo | undefined, r: TxnRequest): void {
  for (const c of r.compare) auth.checkOp(ai, c.key, c.rangeEnd, 'read');
  for (const op of [...r.success, ...r.failure]) checkOpAuth(auth, ai, op);
}

function checkOpAuth(auth: AuthStore, ai: AuthInfo | undefined, op: RequestOp): void {
  if (op.requestRange) checkRangeAuth(auth, ai, op.requestRange);
  else if (op.requestPut) checkPutAuth(auth, ai, op.requestPut);
  else if (op.requestDeleteRange) checkDeleteAuth(auth, ai, op.requestDeleteRange);
  else if (op.requestTxn) checkTxnAuth(auth, ai, op.requestTxn);
}
