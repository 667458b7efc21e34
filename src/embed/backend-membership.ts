// Membership persisted in the backend's `members` and `members_removed` buckets (and the
// cluster version in `cluster`), in the same batches as the applied index that changed it.

import type { Backend } from '../storage/backend.js';
import { decodeMember, encodeMember, type Member, type MembershipStore } from '../server/membership.js';

/** The key etcd 3.5 keeps the cluster version under, in the `cluster` bucket. */
const CLUSTER_VERSION_KEY = Buffer.from('clusterVersion');

function idKey(id: bigint): Buffer {
  return Buffer.from(id.toString(16));
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
      if (wasRemoved) backend.put('members_removed', idKey(id), Buffer.from('removed'));
    },
  };
}
