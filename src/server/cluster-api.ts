// The member's Cluster API: member add/remove/update/promote as etcd decides them.
// Each change is one raft conf change, proposed here and answered once applied; the
// safety rules that need live knowledge (who is connected, how far a learner is) are
// checked before proposing, the rules on the member list itself again at apply (see
// Membership.validateConfChange) so that all members decide alike.

import type { ConfChange } from '../raft/types.js';
import { ConfChangeType } from '../raft/types.js';
import type { PeerStatus } from '../raft/raw-node.js';
import { Errors, type EtcdError } from './errors.js';
import { computeMemberId } from '../pkg/member-id.js';
import { encodeMember, encodePromotion, type Member, type Membership } from './membership.js';
import type { AuthGate, RequestAuth } from './auth-gate.js';

/** A connection must have been up this long to count as healthy (etcd's HealthInterval). */
export const HEALTH_INTERVAL_MS = 5000;
/** The leader's final answers to a promotion: asking again cannot change them. */
export const PROMOTE_REFUSALS: readonly EtcdError[] = [Errors.LearnerNotReady, Errors.MemberNotFound, Errors.MemberNotLearner, Errors.MemberNotEnoughStarted];

/** A learner is promotable once its log reaches this share of the leader's. */
const LEARNER_READY_PERCENT = 0.9;

export interface ClusterApiDeps {
  memberId: bigint;
  membership: Membership;
  gate: AuthGate;
  strictReconfigCheck: boolean;
  /** Proposes a conf change and resolves once it was applied (rejects with etcd's error if refused). */
  proposeConfChange(cc: Omit<ConfChange, 'id'>): Promise<void>;
  /** When the transport's link to `id` came up, or undefined while it is down. */
  activeSince(id: bigint): number | undefined;
  /** This member's raft progress view when it leads, undefined otherwise. */
  leaderProgress(): Map<bigint, PeerStatus> | undefined;
  /** Asks the leader (over the peer port) to promote; used when this member does not lead. */
  forwardPromote(id: bigint): Promise<void>;
  now(): number;
}

function validPeerUrl(u: string): boolean {
  try {
    const url = new URL(u);
    return (url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'unix:' || url.protocol === 'unixs:') && url.host !== '';
  } catch {
    return false;
  }
}

export class ClusterApi {
  constructor(private readonly d: ClusterApiDeps) {}

  private async checkAdmin(ctx: RequestAuth | undefined): Promise<void> {
    await this.d.gate.authorize(ctx, { kind: 'admin' });
  }

  /** Adds a member (voter or learner); resolves with the new member. */
  async add(peerURLs: string[], isLearner: boolean, ctx?: RequestAuth): Promise<Member> {
    await this.checkAdmin(ctx);
    if (peerURLs.length === 0 || !peerURLs.every(validPeerUrl)) throw Errors.MemberBadURLs;
    // etcd derives the id from the URLs and the time, so re-adding the same URLs later differs.
    const id = memberIdFor(peerURLs, this.d.now());
    const member: Member = { id, name: '', peerURLs, clientURLs: [], isLearner };
    this.mayAdd(isLearner);
    await this.d.proposeConfChange({
      type: isLearner ? ConfChangeType.AddLearnerNode : ConfChangeType.AddNode,
      nodeId: id,
      context: encodeMember(member),
    });
    return member;
  }

  async remove(id: bigint, ctx?: RequestAuth): Promise<void> {
    await this.checkAdmin(ctx);
    this.mayRemove(id);
    await this.d.proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: id, context: new Uint8Array() });
  }

  async update(id: bigint, peerURLs: string[], ctx?: RequestAuth): Promise<void> {
    await this.checkAdmin(ctx);
    if (peerURLs.length === 0 || !peerURLs.every(validPeerUrl)) throw Errors.MemberBadURLs;
    const m = this.d.membership.get(id);
    await this.d.proposeConfChange({
      type: ConfChangeType.UpdateNode,
      nodeId: id,
      context: encodeMember({ id, name: m?.name ?? '', peerURLs, clientURLs: m?.clientURLs ?? [], isLearner: m?.isLearner ?? false }),
    });
  }

  /**
   * Promotes a learner. Only the leader knows how far the learner got, so a follower
   * hands the request to the leader, as etcd does over the peer port.
   */
  async promote(id: bigint, ctx?: RequestAuth): Promise<void> {
    await this.checkAdmin(ctx);
    if (!this.d.leaderProgress()) {
      await this.d.forwardPromote(id);
      return;
    }
    await this.promoteAsLeader(id);
  }

  /**
   * The leader's half of promote (also what the peer endpoint runs). Only what needs the
   * leader's live view is checked here; whether `id` is a learner at all is decided at
   * apply, so promoting an unknown id or a voter is refused by a committed entry, as in
   * etcd (the raft index moves on).
   */
  async promoteAsLeader(id: bigint): Promise<void> {
    const progress = this.d.leaderProgress();
    if (!progress) throw Errors.NotLeader;
    const target = progress.get(id);
    const self = progress.get(this.d.memberId);
    if (target && self && target.match < self.match * LEARNER_READY_PERCENT) throw Errors.LearnerNotReady;
    if (this.d.strictReconfigCheck && !this.readyToPromote()) throw Errors.MemberNotEnoughStarted;
    await this.d.proposeConfChange({ type: ConfChangeType.AddNode, nodeId: id, context: encodePromotion(id) });
  }

  private voters(): Member[] {
    return this.d.membership.list().filter((m) => !m.isLearner);
  }

  private connectedLongEnough(id: bigint): boolean {
    if (id === this.d.memberId) return true;
    const since = this.d.activeSince(id);
    return since !== undefined && since <= this.d.now() - HEALTH_INTERVAL_MS;
  }

  /**
   * Adding a voter must not leave the cluster short of a started quorum; any addition
   * (learners too) waits until every voter has been connected for a while.
   */
  private mayAdd(isLearner: boolean): void {
    if (!this.d.strictReconfigCheck) return;
    const voters = this.voters();
    const nmembers = voters.length + 1;
    const nstarted = voters.filter((m) => m.name !== '').length;
    // Growing a one-member cluster (e.g. to restore data onto a second member) is allowed.
    const oneToTwo = nstarted === 1 && nmembers === 2;
    if (!isLearner && !oneToTwo && nstarted < Math.floor(nmembers / 2) + 1) throw Errors.MemberNotEnoughStarted;
    if (!voters.every((m) => this.connectedLongEnough(m.id))) throw Errors.Unhealthy;
  }

  private mayRemove(id: bigint): void {
    if (!this.d.strictReconfigCheck) return;
    const target = this.d.membership.get(id);
    // Learners do not count towards the quorum; an unknown id fails at apply.
    if (!target || target.isLearner) return;
    const voters = this.voters();
    const remaining = voters.filter((m) => m.id !== id);
    const nstarted = remaining.filter((m) => m.name !== '').length;
    if (nstarted < Math.floor(remaining.length / 2) + 1) throw Errors.MemberNotEnoughStarted;
    // A member that is down is not part of the active quorum: removing it is safe.
    if (id !== this.d.memberId && this.d.activeSince(id) === undefined) return;
    const active = voters.filter((m) => this.connectedLongEnough(m.id)).length;
    if (active - 1 < 1 + Math.floor((voters.length - 1) / 2)) throw Errors.Unhealthy;
  }

  /**
   * Whether the voters after the promotion have a started quorum. The promoted member counts
   * as started whether or not it has published its name yet (etcd counts it so): it is
   * caught up, which is what matters.
   */
  private readyToPromote(): boolean {
    const voters = this.voters();
    const nmembers = voters.length + 1;
    const nstarted = voters.filter((m) => m.name !== '').length + 1;
    return nstarted >= Math.floor(nmembers / 2) + 1;
  }
}

/** A new member's id as etcd computes it at member add: its URLs and the current second. */
function memberIdFor(peerURLs: string[], nowMs: number): bigint {
  return computeMemberId(peerURLs, '', Math.floor(nowMs / 1000));
}
