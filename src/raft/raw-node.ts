// The driver's handle on the raft core: feed it ticks, messages and proposals; take its
// work as a Ready; acknowledge with advance() once the Ready is persisted and applied.
// Proposals may arrive between ready() and advance(): advance() only retires what the
// Ready it acknowledges contained.

import { encodeConfChange } from './confchange-codec.js';
import { Raft, newMessage, type RaftConfig } from './raft.js';
import type { MemoryStorage } from './storage.js';
import {
  ConfChangeType,
  EntryType,
  MessageType,
  NONE,
  type ConfChange,
  type ConfState,
  type HardState,
  type Message,
  type NodeId,
  type Ready,
  type SoftState,
  StateType,
} from './types.js';

export type { RaftConfig };

export interface PeerStatus {
  match: number;
  next: number;
  isLearner: boolean;
  recentActive: boolean;
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
  progress: Map<NodeId, PeerStatus>;
}

/**
 * Prepares an empty storage for a brand-new cluster, as etcd's StartNode with peers does:
 * one AddNode conf change entry per peer at term 1, indexes 1..n, committed. A RawNode
 * started on this storage hands them out as committedEntries, so the initial membership
 * is applied through the normal apply path (applyConfChange).
 * For a driver that persists through its own WAL, RawNode.bootstrap() is the variant
 * that hands the same entries out as Ready.entries as well.
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

export class RawNode {
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  /** What the outstanding Ready handed out, for advance(). */
  private handed: { lastEntry?: { index: number; term: number }; lastCommitted?: number; snapshotIndex?: number } | undefined;

  constructor(cfg: RaftConfig) {
    this.raft = new Raft(cfg);
    this.prevSoft = { lead: this.raft.lead, raftState: this.raft.state };
    this.prevHard = this.raft.hardState();
  }

  /** Writes the initial members of a new cluster into the (empty) log. */
  bootstrap(peers: { id: NodeId; context: Uint8Array }[]): void {
    this.raft.bootstrap(peers, encodeConfChange);
  }

  tick(): void {
    this.raft.tick();
  }

  campaign(): void {
    this.raft.step(newMessage({ type: MessageType.Hup, from: this.raft.id }));
  }

  /** Throws ErrProposalDropped when there is no leader to take it. */
  propose(data: Uint8Array): void {
    this.raft.propose(data);
  }

  proposeConfChange(cc: ConfChange): void {
    this.raft.propose(encodeConfChange(cc), EntryType.ConfChange);
  }

  step(m: Message): void {
    // Local message types never come from the network.
    if (m.type === MessageType.Hup || m.type === MessageType.Beat || m.type === MessageType.CheckQuorum) return;
    if (m.from !== this.raft.id && !this.raft.prs.has(m.from) && (m.type === MessageType.AppResp || m.type === MessageType.HeartbeatResp)) return;
    this.raft.step(m);
  }

  readIndex(ctx: Uint8Array): void {
    this.raft.step(newMessage({ type: MessageType.ReadIndex, from: this.raft.id, entries: [{ term: 0, index: 0, type: EntryType.Normal, data: ctx }] }));
  }

  transferLeader(to: NodeId): void {
    this.raft.step(newMessage({ type: MessageType.TransferLeader, from: to }));
  }

  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  reportUnreachable(id: NodeId): void {
    this.raft.step(newMessage({ type: MessageType.Unreachable, from: id }));
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step(newMessage({ type: MessageType.SnapStatus, from: id, reject: !ok }));
  }

  hasReady(): boolean {
    if (this.handed) return false;
    const r = this.raft;
    if (r.lead !== this.prevSoft.lead || r.state !== this.prevSoft.raftState) return true;
    if (!sameHardState(r.hardState(), this.prevHard)) return true;
    return (
      r.log.unstableSnapshot !== undefined ||
      r.log.unstable.length > 0 ||
      r.log.hasNextCommittedEnts() ||
      r.msgs.length > 0 ||
      r.readStates.length > 0
    );
  }

  ready(): Ready {
    const r = this.raft;
    const soft: SoftState = { lead: r.lead, raftState: r.state };
    const hard = r.hardState();
    const entries = [...r.log.unstable];
    const committedEntries = r.log.nextCommittedEnts();
    const rd: Ready = {
      softState: soft.lead !== this.prevSoft.lead || soft.raftState !== this.prevSoft.raftState ? soft : undefined,
      hardState: sameHardState(hard, this.prevHard) ? undefined : hard,
      readStates: r.readStates,
      entries,
      snapshot: r.log.unstableSnapshot,
      committedEntries,
      messages: r.msgs,
      mustSync: entries.length > 0 || hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote,
    };
    r.msgs = [];
    r.readStates = [];
    if (rd.softState) this.prevSoft = soft;
    if (rd.hardState) this.prevHard = hard;
    const last = entries[entries.length - 1];
    this.handed = {
      lastEntry: last ? { index: last.index, term: last.term } : undefined,
      lastCommitted: committedEntries.length > 0 ? committedEntries[committedEntries.length - 1]!.index : undefined,
      snapshotIndex: rd.snapshot?.metadata.index,
    };
    return rd;
  }

  advance(): void {
    const h = this.handed;
    this.handed = undefined;
    if (!h) return;
    const log = this.raft.log;
    if (h.lastCommitted !== undefined) log.appliedTo(h.lastCommitted);
    if (h.lastEntry) log.stableTo(h.lastEntry.index, h.lastEntry.term);
    if (h.snapshotIndex !== undefined) log.stableSnapTo(h.snapshotIndex);
  }

  status(): Status {
    const r = this.raft;
    const progress = new Map<NodeId, PeerStatus>();
    for (const [id, p] of r.prs) progress.set(id, { match: p.match, next: p.next, isLearner: p.isLearner, recentActive: p.recentActive });
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      commit: r.log.committed,
      applied: r.log.applied,
      lead: r.lead,
      raftState: r.state,
      leadTransferee: r.leadTransferee,
      progress,
    };
  }
}
