// The backend quota (--quota-backend-bytes), measured as etcd measures it: the
// backend's current size plus a rough cost of the request must stay below the quota.
// The cost is not the bytes the request will really take (that depends on pages and
// history) but a fixed overhead plus key and value lengths, the same estimate on
// every member; only puts and lease grants cost anything.

import type { LeaseGrantRequest, PutRequest, RequestOp, TxnRequest } from '../gen/etcdserverpb/rpc.js';

/** etcd's default quota when the flag is 0: 2 GiB. */
export const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;
/** Above this etcd warns that the quota exceeds what it supports (8 GiB). */
export const MAX_QUOTA_BYTES = 8 * 1024 * 1024 * 1024;

/** Estimated bytes a stored key-value pair costs beyond its key and value. */
const KV_OVERHEAD = 256;
/** Estimated bytes a lease costs. */
const LEASE_OVERHEAD = 64;

export type QuotaRequest = { put: PutRequest } | { txn: TxnRequest } | { leaseGrant: LeaseGrantRequest };

function costPut(r: PutRequest): number {
  return KV_OVERHEAD + r.key.length + r.value.length;
}

function costOp(op: RequestOp): number {
  // etcd looks only at a branch's own puts: a nested txn costs nothing, as there.
  return op.requestPut ? costPut(op.requestPut) : 0;
}

/** A txn runs one branch: it costs its more expensive branch. */
function costTxn(r: TxnRequest): number {
  const sum = (ops: RequestOp[]) => ops.reduce((n, op) => n + costOp(op), 0);
  return Math.max(sum(r.success), sum(r.failure));
}

export function quotaCost(r: QuotaRequest): number {
  if ('put' in r) return costPut(r.put);
  if ('txn' in r) return costTxn(r.txn);
  return LEASE_OVERHEAD;
}

export class BackendQuota {
  /** `quotaBytes` as the flag gives it: 0 is the default, negative disables the quota. */
  constructor(
    private readonly quotaBytes: number,
    private readonly backendSize: () => number,
  ) {}

  get limit(): number {
    return this.quotaBytes === 0 ? DEFAULT_QUOTA_BYTES : this.quotaBytes;
  }

  /** True when the request fits: backend size plus its cost stays below the quota. */
  available(r: QuotaRequest): boolean {
    if (this.quotaBytes < 0) return true;
    return this.backendSize() + quotaCost(r) < this.limit;
  }
}
