// Membership persisted in the backend's `members` and `members_removed` buckets (and the
// cluster version in `cluster`), in the same batches as the applied index that changed it.

import type { Backend } from '../storage/backend.js';
import { decodeMember, encodeMember, type Member, type MembershipStore } from '../server/membership.js';

/** The key etcd 3.5 keeps the cluster version under, in the `cluster` bucket. */
const CLUSTER_VERSION_KEY = Buffer.from('clusterVersion');

function idKey(id: bigint): Buffer {
  return Buffer.from(id.toString(16));
}

const REMOVED = Buffer.from('removed');

/**
 * Replaces the persisted membership wholesale (a restore or a migration starts a member
 * from someone else's backend): every row of both buckets goes, then `members`, `removed`
 * and, when given, the cluster version are written.
 */
export function replaceBackendMembership(backend: Backend, members: readonly Member[], removed: readonly bigint[] = [], clusterVersion?: string): void {
  for (const bucket of ['members', 'members_removed'] as const) {
    for (const { key } of backend.range(bucket, Buffer.alloc(0))) backend.delete(bucket, Buffer.from(key));
  }
  for (const m of members) backend.put('members', idKey(m.id), Buffer.from(encodeMember(m)));
  for (const id of removed) backend.put('members_removed', idKey(id), REMOVED);
  if (clusterVersion !== undefined) backend.put('cluster', CLUSTER_VERSION_KEY, Buffer.from(clusterVersion));
}

export async function loadBackendMembership(backend: Backend): Promise<MembershipStore> {
  // Read at each load: a raft snapshot's db replaces the backend and the members with it.
  const load = (): { members: Member[]; removed: bigint[] } => ({
    members: backend.range('members', Buffer.alloc(0)).map((e) => decodeMember(e.value)),
    removed: backend.range('members_removed', Buffer.alloc(0)).map((e) => BigInt(`0x${e.key.toString()}`)),
  });
  return {
    loadMembers: load,
    loadClusterVersion: () => backend.get('cluster', CLUSTER_VERSION_KEY)?.toString() ?? '',
    saveClusterVersion: (version: string) => backend.put('cluster', CLUSTER_VERSION_KEY, Buffer.from(version)),
    saveMember: (m: Member) => backend.put('members', idKey(m.id), Buffer.from(encodeMember(m))),
    deleteMember: (id: bigint, wasRemoved: boolean) => {
      backend.delete('members', idKey(id));
      if (wasRemoved) backend.put('members_removed', idKey(id), REMOVED);
    },
  };
}
