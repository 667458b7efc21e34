// The cluster's membership as every member agrees on it: changed only by applying
// committed raft entries (conf changes and member-attribute updates), so all members
// hold the same list at the same applied index.

import type { ConfChange } from '../raft/types.js';
import { ConfChangeType } from '../raft/types.js';
import { Errors, type EtcdError } from './errors.js';

/** etcd allows one learner at a time. */
export const MAX_LEARNERS = 1;

export interface Member {
  id: bigint;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

/** The member description carried in a conf change's context, as JSON with a decimal id. */
interface MemberJson {
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export function encodeMember(m: Member): Uint8Array {
  const j: MemberJson = { id: m.id.toString(), name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs, isLearner: m.isLearner };
  return new TextEncoder().encode(JSON.stringify(j));
}

export function decodeMember(bytes: Uint8Array): Member {
  const j = JSON.parse(new TextDecoder().decode(bytes)) as Partial<MemberJson>;
  return {
    id: BigInt(j.id ?? '0'),
    name: j.name ?? '',
    peerURLs: j.peerURLs ?? [],
    clientURLs: j.clientURLs ?? [],
    isLearner: j.isLearner ?? false,
  };
}

/**
 * A promotion's conf change context. Promoting and adding a voter are both AddNode, so the
 * context says which one is meant (as etcd's does): a promotion names only the id, and it
 * is decided at apply against the member list of that moment, refused for an unknown id or
 * a member that is no learner, like any other conf change.
 */
export function encodePromotion(id: bigint): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ id: id.toString(), isPromote: true }));
}

export function isPromotion(context: Uint8Array): boolean {
  if (context.length === 0) return false;
  const j = JSON.parse(new TextDecoder().decode(context)) as { isPromote?: boolean };
  return j.isPromote === true;
}

/** Where membership is persisted; the backend's members table implements it. */
export interface MembershipStore {
  saveMember(m: Member): void;
  deleteMember(id: bigint, removed: boolean): void;
  loadMembers(): { members: Member[]; removed: bigint[] };
  saveClusterVersion(version: string): void;
  /** The stored cluster version, '' when none was ever set. */
  loadClusterVersion(): string;
}

export class Membership {
  private readonly members = new Map<bigint, Member>();
  private readonly removed = new Set<bigint>();
  private clusterVersion = '';

  constructor(
    readonly clusterId: bigint,
    private readonly store: MembershipStore,
  ) {
    this.reload();
  }

  /** The cluster version agreed through raft ("3.5.0"), empty until the leader sets it. */
  get version(): string {
    return this.clusterVersion;
  }

  /**
   * Applies a committed cluster version. It is kept in the backend, in the batch of the
   * entry that set it, so a restart or a raft snapshot's db brings it back (the entry that
   * set it may be long compacted away, and the leader sets it only once).
   */
  setVersion(version: string): void {
    this.clusterVersion = version;
    this.store.saveClusterVersion(version);
  }

  /** Reads the members and the cluster version again from the store (a raft snapshot's db replaced the backend). */
  reload(): void {
    // A db without a stored version (written before versions were kept) leaves the known one.
    this.clusterVersion = this.store.loadClusterVersion() || this.clusterVersion;
    const loaded = this.store.loadMembers();
    this.members.clear();
    this.removed.clear();
    for (const m of loaded.members) this.members.set(m.id, m);
    for (const id of loaded.removed) this.removed.add(id);
  }

  list(): Member[] {
    return [...this.members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get(id: bigint): Member | undefined {
    return this.members.get(id);
  }

  isRemoved(id: bigint): boolean {
    return this.removed.has(id);
  }

  /**
   * Decides whether a committed conf change may take effect. Every member decides on
   * the same membership at the same index, so all refuse the same changes; a refused
   * change leaves both the member list and raft's configuration alone.
   */
  validateConfChange(cc: ConfChange): EtcdError | undefined {
    const id = cc.nodeId;
    if (this.removed.has(id)) return Errors.MemberNotFound;
    const existing = this.members.get(id);
    const urlsTakenByOther = (urls: string[]) => this.peerURLsInUse(urls, id);
    switch (cc.type) {
      case ConfChangeType.AddNode:
        if (isPromotion(cc.context)) {
          if (!existing) return Errors.MemberNotFound;
          return existing.isLearner ? undefined : Errors.MemberNotLearner;
        }
        // Promotions logged before their context said so carried the learner's description.
        if (existing?.isLearner) return undefined;
        if (existing) return Errors.MemberExist;
        if (urlsTakenByOther(decodeMember(cc.context).peerURLs)) return Errors.PeerURLExist;
        return undefined;
      case ConfChangeType.AddLearnerNode:
        if (existing) return Errors.MemberExist;
        if (urlsTakenByOther(decodeMember(cc.context).peerURLs)) return Errors.PeerURLExist;
        if (this.list().filter((m) => m.isLearner).length >= MAX_LEARNERS) return Errors.TooManyLearners;
        return undefined;
      case ConfChangeType.RemoveNode:
        return existing ? undefined : Errors.MemberNotFound;
      case ConfChangeType.UpdateNode:
        if (!existing) return Errors.MemberNotFound;
        if (urlsTakenByOther(decodeMember(cc.context).peerURLs)) return Errors.PeerURLExist;
        return undefined;
      default:
        return Errors.MemberNotFound;
    }
  }

  /** Whether a member other than `except` already uses one of `urls`. */
  private peerURLsInUse(urls: string[], except: bigint): boolean {
    return [...this.members.values()].some((m) => m.id !== except && m.peerURLs.some((u) => urls.includes(u)));
  }

  /**
   * Applies a committed conf change to the member list. `persist` is false while
   * replaying entries the backend already holds (index <= consistent index).
   */
  applyConfChange(cc: ConfChange, persist: boolean): void {
    switch (cc.type) {
      case ConfChangeType.AddNode:
      case ConfChangeType.AddLearnerNode: {
        const existing = this.members.get(cc.nodeId);
        // validateConfChange refuses a promotion of anyone but a learner before it gets here.
        if (!existing && isPromotion(cc.context)) return;
        const m =
          cc.type === ConfChangeType.AddNode && existing?.isLearner
            ? { ...existing, isLearner: false } // promotion
            : { ...decodeMember(cc.context), id: cc.nodeId, isLearner: cc.type === ConfChangeType.AddLearnerNode };
        this.members.set(m.id, m);
        if (persist) this.store.saveMember(m);
        break;
      }
      case ConfChangeType.RemoveNode:
        this.members.delete(cc.nodeId);
        this.removed.add(cc.nodeId);
        if (persist) this.store.deleteMember(cc.nodeId, true);
        break;
      case ConfChangeType.UpdateNode: {
        const existing = this.members.get(cc.nodeId);
        if (!existing) return;
        const m = { ...existing, peerURLs: decodeMember(cc.context).peerURLs };
        this.members.set(m.id, m);
        if (persist) this.store.saveMember(m);
        break;
      }
    }
  }

  /** Applies a member's self-published name and client URLs. */
  setAttributes(id: bigint, name: string, clientURLs: string[], persist: boolean): void {
    const existing = this.members.get(id);
    if (!existing) return;
    const m = { ...existing, name, clientURLs };
    this.members.set(id, m);
    if (persist) this.store.saveMember(m);
  }
}
