// The driver's handle on the raft core: feed it ticks, messages and proposals; take its
// work as a Ready; acknowledge with advance() once the Ready is persisted and applied.
//
// Driver loop, in this order (etcd-io/raft's contract):
//   rd = ready(); persist rd.snapshot, rd.hardState, rd.entries (fsync if rd.mustSync);
//   send rd.messages; apply rd.committedEntries (applyConfChange for conf changes);
//   serve rd.readStates; advance().
// Only one Ready is outstanding at a time: hasReady() is false until advance(). Ticks,
// proposals and messages may arrive between ready() and advance(); advance() only
// retires what the Ready it acknowledges contained.

import { encodeConfChange } from './confchange-codec.js';
import { ErrProposalDropped } from './errors.js';
import { Raft, isLocalMessage, isResponseMessage, newMessage, proposalMessage, type RaftConfig, type RaftLogger } from './raft.js';
import type { MemoryStorage } from './storage.js';
import type { ProgressState } from './tracker/progress.js';
import {
  ConfChangeType,
  EntryType,
  MessageType,
  NONE,
  StateType,
  type ConfChange,
  type ConfState,
  type HardState,
  type Message,
  type NodeId,
  type Ready,
  type SoftState,
} from './types.js';

export type { RaftConfig, RaftLogger };

/** The leader's view of one member (on followers the numbers are not maintained). */
export interface PeerStatus {
  match: number;
  next: number;
  isLearner: boolean;
  recentActive: boolean;
  state: ProgressState;
  /** Appends are held back (probe outstanding, window full, or snapshot in flight). */
  paused: boolean;
  /** Appends in flight. */
  inflight: number;
  /** In StateSnapshot: index of the snapshot being sent; 0 otherwise. */
  pendingSnapshot: number;
}

/** See RawNode.basicStatus. */
export interface BasicStatus {
  term: number;
  commit: number;
  applied: number;
  lead: NodeId;
  raftState: StateType;
}

export interface Status {
  id: NodeId;
  term: number;
  vote: NodeId;
  commit: number;
  applied: number;
  lead: NodeId;
  raftState: StateType;
  leadTransferee: NodeId;
  config: ConfState;
  progress: Map<NodeId, PeerStatus>;
}

/**
 * Prepares an empty storage for a brand-new cluster, as etcd's StartNode with peers does:
 * one AddNode conf change entry per peer at term 1, indexes 1..n, committed. A RawNode
 * started on this storage hands them out as committedEntries (not as entries: they are
 * already in storage), so the initial membership is applied through the normal apply
 * path (applyConfChange). A driver whose durable log is its own WAL should use
 * RawNode.bootstrap() instead, which hands the same entries out in Ready.entries too.
 */
export function bootstrap(storage: MemoryStorage, peers: { id: NodeId; context: Uint8Array }[]): void {
  if (peers.length === 0) throw new Error('raft: must provide at least one peer to bootstrap');
  if (storage.lastIndex() !== 0) throw new Error('raft: can only bootstrap an empty storage');
  const ents = peers.map((p, i) => ({
    term: 1,
    index: i + 1,
    type: EntryType.ConfChange,
    data: encodeConfChange({ type: ConfChangeType.AddNode, nodeId: p.id, context: p.context, id: 0n }),
  }));
  storage.append(ents);
  storage.setHardState({ term: 1, vote: NONE, commit: ents.length });
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** What the outstanding Ready handed out, so advance() retires exactly that. */
interface Handed {
  lastEntry?: { index: number; term: number };
  lastCommitted?: number;
  snapshotIndex?: number;
  committedEntries: Ready['committedEntries'];
}

export class RawNode {
  /** The state machine itself; exposed for tests and status, not for driving. */
  readonly raft: Raft;
  /** The SoftState last handed out (a Ready carries softState only when it changed). */
  private prevSoft: SoftState;
  /** The HardState last handed out (a Ready carries hardState only when it changed). */
  private prevHard: HardState;
  /** The outstanding Ready's contents, between ready() and advance(); undefined otherwise. */
  private handed: Handed | undefined;

  constructor(cfg: RaftConfig) {
    this.raft = new Raft(cfg);
    this.prevSoft = { lead: this.raft.lead, raftState: this.raft.state };
    this.prevHard = this.raft.hardState();
  }

  /**
   * Writes the initial members of a new cluster into the (empty) log: AddNode entries at
   * term 1, committed. They come out in the next Ready as entries (to persist) and as
   * committedEntries (to apply).
   */
  bootstrap(peers: { id: NodeId; context: Uint8Array }[]): void {
    this.raft.bootstrap(peers, encodeConfChange);
  }

  /** One unit of logical time (the driver decides how long a tick is). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (with a pre-vote round first if configured). */
  campaign(): void {
    this.raft.step(newMessage({ type: MessageType.Hup, from: this.raft.id }));
  }

  /** Proposes data to be appended. Throws ErrProposalDropped when there is no leader to take it, or a leader transfer is in progress. */
  propose(data: Uint8Array): void {
    this.stepProposal(EntryType.Normal, data);
  }

  /** Proposes a configuration change (applied by the application once committed). Throws ErrProposalDropped like propose(). */
  proposeConfChange(cc: ConfChange): void {
    this.stepProposal(EntryType.ConfChange, encodeConfChange(cc));
  }

  private stepProposal(type: EntryType, data: Uint8Array): void {
    const err = this.raft.step(proposalMessage(this.raft.id, type, data));
    if (err) throw err;
  }

  /**
   * Feeds a message from a peer. Local-only message types and responses from members not
   * in the configuration are ignored; a forwarded proposal that cannot be taken is
   * dropped (its proposer times out and retries).
   */
  step(m: Message): void {
    if (isLocalMessage(m.type)) return;
    if (isResponseMessage(m.type) && !this.raft.trk.progress.has(m.from)) return;
    const err = this.raft.step(m);
    if (err && !(err instanceof ErrProposalDropped)) throw err;
  }

  /** Requests a linearizable read point; it comes back as a ReadState with this ctx (which must be unique among pending reads). */
  readIndex(ctx: Uint8Array): void {
    this.raft.step(newMessage({ type: MessageType.ReadIndex, entries: [{ term: 0, index: 0, type: EntryType.Normal, data: ctx }] }));
  }

  /** Asks the leader to hand leadership to `to` (forwarded if we are a follower). */
  transferLeader(to: NodeId): void {
    this.raft.step(newMessage({ type: MessageType.TransferLeader, from: to }));
  }

  /** Applies a committed conf change to the configuration; returns the new ConfState. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /** The transport failed to deliver to `id`: the leader falls back to probing it. */
  reportUnreachable(id: NodeId): void {
    this.raft.step(newMessage({ type: MessageType.Unreachable, from: id }));
  }

  /** The outcome of sending a snapshot to `id`. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step(newMessage({ type: MessageType.SnapStatus, from: id, reject: !ok }));
  }

  hasReady(): boolean {
    if (this.handed) return false;
    const r = this.raft;
    if (r.lead !== this.prevSoft.lead || r.state !== this.prevSoft.raftState) return true;
    if (!sameHardState(r.hardState(), this.prevHard)) return true;
    return (
      r.log.hasPendingSnapshot() ||
      r.log.unstable.entries.length > 0 ||
      r.log.hasNextCommittedEnts() ||
      r.msgs.length > 0 ||
      r.readStates.length > 0
    );
  }

  ready(): Ready {
    if (this.handed) throw new Error('raft: ready() called again before advance()');
    const r = this.raft;
    const soft: SoftState = { lead: r.lead, raftState: r.state };
    const hard = r.hardState();
    const entries = r.log.unstableEntries();
    const snapshot = r.log.unstable.snapshot;
    const committedEntries = r.log.nextCommittedEnts();
    const softChanged = soft.lead !== this.prevSoft.lead || soft.raftState !== this.prevSoft.raftState;
    const hardChanged = !sameHardState(hard, this.prevHard);
    const rd: Ready = {
      softState: softChanged ? soft : undefined,
      hardState: hardChanged ? hard : undefined,
      readStates: r.readStates,
      entries,
      snapshot,
      committedEntries,
      messages: r.msgs,
      // A vote or term must be durable before we act on it, entries before we acknowledge
      // them; a commit index alone can be re-learned from the leader.
      mustSync: entries.length > 0 || snapshot !== undefined || hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote,
    };
    r.msgs = [];
    r.readStates = [];
    if (softChanged) this.prevSoft = soft;
    if (hardChanged) this.prevHard = hard;
    const last = entries[entries.length - 1];
    this.handed = {
      lastEntry: last ? { index: last.index, term: last.term } : undefined,
      lastCommitted: committedEntries.length > 0 ? committedEntries[committedEntries.length - 1]!.index : undefined,
      snapshotIndex: snapshot?.metadata.index,
      committedEntries,
    };
    return rd;
  }

  /** The last Ready is persisted, sent and applied. */
  advance(): void {
    const h = this.handed;
    this.handed = undefined;
    if (!h) return;
    const log = this.raft.log;
    if (h.snapshotIndex !== undefined) {
      log.stableSnapTo(h.snapshotIndex);
      if (h.snapshotIndex > log.applied) log.appliedTo(h.snapshotIndex);
    }
    if (h.lastCommitted !== undefined) log.appliedTo(h.lastCommitted);
    if (h.lastEntry) {
      log.stableTo(h.lastEntry.index, h.lastEntry.term);
      this.raft.onPersisted(h.lastEntry.index, h.lastEntry.term);
    }
    if (h.committedEntries.length > 0) this.raft.reduceUncommittedSize(h.committedEntries);
  }

  /** Whether proposed or received entries wait to be handed out for persisting. */
  hasUnstableEntries(): boolean {
    return this.raft.log.unstable.entries.length > 0;
  }

  /** basicStatus().term without the object: asked after every applied batch. */
  currentTerm(): number {
    return this.raft.term;
  }

  /** basicStatus().commit without the object: asked by every proposal. */
  commitIndex(): number {
    return this.raft.log.committed;
  }

  /**
   * The scalar part of status() (etcd's BasicStatus), without its per-peer progress copies
   * and configuration arrays: cheap enough for every proposal to ask.
   */
  basicStatus(): BasicStatus {
    const r = this.raft;
    return { term: r.term, commit: r.log.committed, applied: r.log.applied, lead: r.lead, raftState: r.state };
  }

  status(): Status {
    const r = this.raft;
    const progress = new Map<NodeId, PeerStatus>();
    for (const id of r.memberIds()) {
      const p = r.trk.progress.get(id)!;
      progress.set(id, {
        match: p.match,
        next: p.next,
        isLearner: p.isLearner,
        recentActive: p.recentActive,
        state: p.state,
        paused: p.isPaused(),
        inflight: p.inflights.count(),
        pendingSnapshot: p.pendingSnapshot,
      });
    }
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      commit: r.log.committed,
      applied: r.log.applied,
      lead: r.lead,
      raftState: r.state,
      leadTransferee: r.leadTransferee,
      config: r.confState(),
      progress,
    };
  }
}
