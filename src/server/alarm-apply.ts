// What alarms and the quota change in the applier, as etcd's capped and quota appliers:
// - with a NOSPACE alarm active, requests that would store more (a put, a txn with a
//   put in a branch, a lease grant) fail with "database space exceeded" without being
//   applied; reads, deletes, compaction and lease revocation still apply;
// - without it, such a request is checked against the quota before it applies; if it did
//   not fit, it still applies (every member must apply the same entries) but answers
//   "database space exceeded", and the member then raises the NOSPACE alarm.
// - with a CORRUPT alarm active, every request that changes state (put, delete, txn,
//   compaction, lease grant and revoke) fails with "corrupt cluster" without being applied,
//   as etcd's corrupt applier; reads are served outside the log and keep working, and so do
//   alarm requests, so an operator can still list and disarm.
// Alarm requests themselves (ACTIVATE, DEACTIVATE, GET) are applied here too.

import { AlarmRequest_AlarmAction, AlarmType, type AlarmRequest, type AlarmResponse, type PutRequest } from '../gen/etcdserverpb/rpc.js';
import type { InternalRaftRequest } from '../gen/etcdserverpb/raft_internal.js';
import type { AlarmStore } from './alarm-store.js';
import { quotaCost, type BackendQuota, type QuotaRequest } from './quota.js';

/** The quota-relevant part of a request, or undefined for requests the quota ignores. */
export function quotaRequestOf(req: Partial<InternalRaftRequest>): QuotaRequest | undefined {
  // The request itself when it carries a put: quotaCost looks at `put` first, and a copy
  // per put was garbage for nothing.
  if (req.put) return req as { put: PutRequest };
  if (req.txn) return { txn: req.txn };
  if (req.leaseGrant) return { leaseGrant: req.leaseGrant };
  return undefined;
}

export class AlarmApply {
  constructor(
    readonly alarms: AlarmStore,
    private readonly quota: BackendQuota,
  ) {}

  /** True when the CORRUPT alarm refuses this request (etcd's corrupt applier). */
  corruptRefuses(req: InternalRaftRequest): boolean {
    if (!this.alarms.has(AlarmType.CORRUPT)) return false;
    return req.put !== undefined || req.deleteRange !== undefined || req.txn !== undefined || req.compaction !== undefined || req.leaseGrant !== undefined || req.leaseRevoke !== undefined;
  }

  /** True when the NOSPACE alarm refuses this request (etcd's capped applier). */
  refuses(req: InternalRaftRequest): boolean {
    if (!this.alarms.has(AlarmType.NOSPACE)) return false;
    const q = quotaRequestOf(req);
    return q !== undefined && quotaCost(q) > 0;
  }

  /** True when a request the quota looks at does not fit; asked before applying it. */
  overQuota(req: InternalRaftRequest): boolean {
    const q = quotaRequestOf(req);
    return q !== undefined && !this.quota.available(q);
  }

  apply(ar: AlarmRequest): AlarmResponse {
    const resp: AlarmResponse = { header: undefined, alarms: [] };
    switch (ar.action) {
      case AlarmRequest_AlarmAction.GET:
        resp.alarms = this.alarms.get(ar.alarm);
        break;
      case AlarmRequest_AlarmAction.ACTIVATE: {
        const m = this.alarms.activate(ar.memberID, ar.alarm);
        if (m) resp.alarms.push(m);
        break;
      }
      case AlarmRequest_AlarmAction.DEACTIVATE: {
        const m = this.alarms.deactivate(ar.memberID, ar.alarm);
        if (m) resp.alarms.push(m);
        break;
      }
      default:
        break;
    }
    return resp;
  }
}
