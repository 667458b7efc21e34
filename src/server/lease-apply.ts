// The meaning of the lease entries in the raft log (LeaseGrant, LeaseRevoke,
// LeaseCheckpoint), applied on every member in log order. A revoke deletes every key
// attached to the lease in one mvcc write transaction: one new revision, however many
// keys, so watchers see the deletions together, as in etcd.

import type { InternalRaftRequest } from '../gen/etcdserverpb/raft_internal.js';
import type { LeaseCheckpointResponse, LeaseGrantResponse, LeaseRevokeResponse } from '../gen/etcdserverpb/rpc.js';
import type { Lessor } from '../lease/lessor.js';
import { revisionHeader } from './kv-apply.js';
import type { KvRead, KvWrite } from './kv-view.js';

export type LeaseApplyResponse = LeaseGrantResponse | LeaseRevokeResponse | LeaseCheckpointResponse;

export interface LeaseApplyStore {
  read(): KvRead & { end(): void };
  write(): KvWrite & { end(): void };
}

function currentRev(store: LeaseApplyStore): number {
  const t = store.read();
  try {
    return t.rev();
  } finally {
    t.end();
  }
}

/** Applies a lease entry; undefined when `req` is not one. Errors (not found, exists, too large) are thrown. */
export function applyLeaseRequest(req: InternalRaftRequest, lessor: Lessor, store: LeaseApplyStore): LeaseApplyResponse | undefined {
  if (req.leaseGrant) {
    const l = lessor.grant(req.leaseGrant.ID, Number(req.leaseGrant.TTL));
    return { header: revisionHeader(currentRev(store)), ID: l.id, TTL: BigInt(l.ttlSec), error: '' };
  }
  if (req.leaseRevoke) {
    const t = store.write();
    try {
      lessor.revoke(req.leaseRevoke.ID, t);
    } finally {
      t.end();
    }
    return { header: revisionHeader(currentRev(store)) };
  }
  if (req.leaseCheckpoint) {
    for (const cp of req.leaseCheckpoint.checkpoints) lessor.checkpoint(cp.ID, Number(cp.remainingTTL));
    return { header: revisionHeader(currentRev(store)) };
  }
  return undefined;
}
