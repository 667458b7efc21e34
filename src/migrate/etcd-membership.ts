// The membership a data dir of real etcd holds. etcd 3.4 (and 3.5, which still boots from
// it) trusts its v2 store, not the backend's members bucket: `etcdctl snapshot restore`
// of 3.4 writes the new cluster only into the v2 store of the snap file and leaves the old
// cluster's rows in the db. So the membership is the v2 store of the raft snapshot the
// migration starts from, then every change the WAL entries up to the backend's consistent
// index made (entries after it are applied again by etcd-ts, which records them itself).
//
// The v2 store is JSON: /0/members/<hex id>/raftAttributes {peerURLs, isLearner},
// /0/members/<hex id>/attributes {name, clientURLs}, /0/removed_members/<hex id>,
// /0/version.

import { ConfChangeType } from '../raft/types.js';
import type { Member } from '../server/membership.js';
import { Request } from '../gen/etcdserverpb/etcdserver.js';
import { InternalRaftRequest } from '../gen/etcdserverpb/raft_internal.js';
import { decodeConfChange, type EtcdEntry } from './etcd-protos.js';
import { v2RequestOf } from './etcd-entry-translate.js';

export interface EtcdMembership {
  members: Map<bigint, Member>;
  removed: Set<bigint>;
  /** The cluster version, when the store or the log set one. */
  version: string | undefined;
}

interface V2Node {
  Value?: string;
  Children?: Record<string, V2Node> | null;
}

const ATTRIBUTES_PATH = /^\/0\/members\/([0-9a-f]+)\/attributes$/;

export function emptyMembership(): EtcdMembership {
  return { members: new Map(), removed: new Set(), version: undefined };
}

function member(state: EtcdMembership, id: bigint): Member {
  let m = state.members.get(id);
  if (!m) {
    m = { id, name: '', peerURLs: [], clientURLs: [], isLearner: false };
    state.members.set(id, m);
  }
  return m;
}

/** The membership in etcd's v2 store JSON (a raft snapshot's data). */
export function membershipFromV2Store(json: Uint8Array): EtcdMembership {
  const state = emptyMembership();
  const root = (JSON.parse(Buffer.from(json).toString()) as { Root?: V2Node }).Root;
  const zero = root?.Children?.['0']?.Children ?? {};
  for (const [hex, node] of Object.entries(zero['members']?.Children ?? {})) {
    const m = member(state, BigInt(`0x${hex}`));
    const raft = node.Children?.['raftAttributes']?.Value;
    if (raft) {
      const r = JSON.parse(raft) as { peerURLs?: string[] | null; isLearner?: boolean };
      m.peerURLs = r.peerURLs ?? [];
      m.isLearner = r.isLearner ?? false;
    }
    const attrs = node.Children?.['attributes']?.Value;
    if (attrs) {
      const a = JSON.parse(attrs) as { name?: string; clientURLs?: string[] | null };
      m.name = a.name ?? '';
      m.clientURLs = a.clientURLs ?? [];
    }
  }
  for (const hex of Object.keys(zero['removed_members']?.Children ?? {})) state.removed.add(BigInt(`0x${hex}`));
  const version = zero['version']?.Value;
  if (version) state.version = version;
  return state;
}

function applyV2(state: EtcdMembership, req: Request): void {
  if (req.Method !== 'PUT') return;
  const attrs = ATTRIBUTES_PATH.exec(req.Path ?? '');
  if (attrs) {
    const a = JSON.parse(req.Val ?? '{}') as { name?: string; clientURLs?: string[] | null };
    const m = state.members.get(BigInt(`0x${attrs[1]}`));
    if (m) {
      m.name = a.name ?? '';
      m.clientURLs = a.clientURLs ?? [];
    }
  } else if (req.Path === '/0/version') {
    state.version = req.Val ?? '';
  }
}

/** Applies what entry `e` changed in the membership, as etcd applied it. */
export function applyEtcdEntry(state: EtcdMembership, e: EtcdEntry): void {
  if (e.type === 1) {
    const cc = decodeConfChange(e.data);
    switch (cc.type) {
      case ConfChangeType.AddNode:
      case ConfChangeType.AddLearnerNode: {
        const existing = state.members.get(cc.nodeId);
        if (existing && cc.type === ConfChangeType.AddNode) {
          // etcd promotes a learner with an AddNode for it.
          existing.isLearner = false;
          break;
        }
        const c = JSON.parse(Buffer.from(cc.context).toString()) as { name?: string; peerURLs?: string[] | null; clientURLs?: string[] | null; isPromote?: boolean };
        // A promotion of an id etcd did not know is in its log too, refused: it changes nothing.
        if (c.isPromote === true) break;
        const m = member(state, cc.nodeId);
        m.name = c.name ?? '';
        m.peerURLs = c.peerURLs ?? [];
        m.clientURLs = c.clientURLs ?? [];
        m.isLearner = cc.type === ConfChangeType.AddLearnerNode;
        break;
      }
      case ConfChangeType.RemoveNode:
        state.members.delete(cc.nodeId);
        state.removed.add(cc.nodeId);
        break;
      case ConfChangeType.UpdateNode: {
        const m = state.members.get(cc.nodeId);
        const c = JSON.parse(Buffer.from(cc.context).toString()) as { peerURLs?: string[] | null };
        if (m) m.peerURLs = c.peerURLs ?? [];
        break;
      }
    }
    return;
  }
  if (e.type !== 0 || e.data.length === 0) return;
  const v2 = v2RequestOf(e.data);
  if (v2) {
    applyV2(state, v2);
    return;
  }
  // etcd 3.5 publishes attributes and the version as v3 requests.
  let req: InternalRaftRequest;
  try {
    req = InternalRaftRequest.decode(e.data);
  } catch {
    return;
  }
  if (req.clusterMemberAttrSet) {
    const m = state.members.get(req.clusterMemberAttrSet.memberID);
    if (m) {
      m.name = req.clusterMemberAttrSet.memberAttributes?.name ?? '';
      m.clientURLs = req.clusterMemberAttrSet.memberAttributes?.clientUrls ?? [];
    }
  }
  if (req.clusterVersionSet) state.version = req.clusterVersionSet.ver;
}
