// The raft consensus state machine (Ongaro & Ousterhout, "In Search of an Understandable
// Consensus Algorithm", and Ongaro's thesis), extended as etcd-io/raft is: pre-vote,
// check-quorum with leader lease, learners, leader transfer and ReadIndex.
//
// Synchronous and deterministic: time is tick(), input is step(), output accumulates
// in `msgs` and `readStates` for RawNode to hand out in a Ready. Role behaviour lives in
// the step functions stepLeader / stepCandidate / stepFollower, swapped on each role
// change, as in etcd-io/raft.
//
// Durability rule: every message produced here may depend on state (term, vote, log
// entries) that is only in memory; the driver persists a Ready's hardState and entries
// before sending its messages. The leader counts its own log towards a quorum only once
// the driver has persisted it (onPersisted), so nothing is committed that is not on a
// quorum's stable storage.

import { applyConfChangeToTracker } from './confchange.js';
import { decodeConfChange } from './confchange-codec.js';
import { MESSAGE_TYPE_NAMES, STATE_NAMES, hexId } from './describe.js';
import { ErrCompacted, ErrProposalDropped, ErrUnavailable } from './errors.js';
import { RaftLog } from './log.js';
import { OutboxCoalescer } from './outbox-coalesce.js';
import { VoteResult } from './quorum.js';
import { ReadOnly } from './read-only.js';
import type { RaftStorage } from './storage.js';
import { ProgressState } from './tracker/progress.js';
import { ProgressTracker, compareIds } from './tracker/tracker.js';
import {
  ConfChangeType,
  EntryType,
  MessageType,
  NONE,
  StateType,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type ReadState,
  type Snapshot,
} from './types.js';

export interface RaftLogger {
  debug(msg: string, fields?: object): void;
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
}

export interface RaftConfig {
  /** This member's id; never 0. */
  id: NodeId;
  /** Ticks without hearing from a leader before a follower campaigns; the actual timeout is randomized in [electionTick, 2*electionTick). */
  electionTick: number;
  /** Ticks between leader heartbeats; must be < electionTick. */
  heartbeatTick: number;
  storage: RaftStorage;
  /**
   * Last index the application applied before a restart; committed entries up to it are
   * not handed out again. The configuration is rebuilt from the storage snapshot's
   * ConfState, so conf changes between the snapshot and `applied` must still be passed
   * to applyConfChange by the application (or leave `applied` at the snapshot index).
   */
  applied?: number;
  /** Upper bound, in bytes, of entries in one append message (one entry is always allowed). */
  maxSizePerMsg: number;
  /** Append messages in flight per follower in Replicate state. */
  maxInflightMsgs: number;
  /** Payload bytes in flight per follower (0 or absent: bounded by count only). */
  maxInflightBytes?: number;
  /** Bytes of uncommitted entry payloads a leader accepts before dropping proposals (0 or absent: no limit). */
  maxUncommittedEntriesSize?: number;
  /** Bytes of committed entries per Ready (at least one entry); absent: maxSizePerMsg. */
  maxCommittedSizePerReady?: number;
  /** The leader steps down when a quorum was not active during an election timeout; followers then also honour a leader lease. */
  checkQuorum: boolean;
  /** Campaign with a pre-vote round first, so a partitioned member cannot inflate the term (thesis §9.6). */
  preVote: boolean;
  /** Seeded source in [0, 1) for randomized election timeouts. */
  random: () => number;
  logger?: RaftLogger;
  /**
   * Merge an append (or an accepting append answer) into the previous unsent one to the
   * same member, so a Ready carries one per peer instead of one per proposal (see
   * outbox-coalesce.ts). Off by default: the message-by-message sequences etcd's raft
   * produces are what the interaction tests compare against.
   */
  coalesceMessages?: boolean;
}

/** Context of vote requests caused by a leader transfer: they override the leader lease. */
export const CAMPAIGN_TRANSFER = new TextEncoder().encode('CampaignTransfer');

/** Bound on ReadIndex requests a new leader holds until it commits an entry of its term. */
export const MAX_PENDING_READ_INDEX_MESSAGES = 4096;

const EMPTY = new Uint8Array();

export type CampaignType = 'pre-election' | 'election' | 'transfer';

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A local proposal of one entry: newMessage({ type: Prop, from, entries: [entry] }) spelled
 * out in newMessage's field order (same hidden class), without the fields object and the
 * default entries array that one makes per proposal.
 */
export function proposalMessage(from: NodeId, type: EntryType, data: Uint8Array): Message {
  return { to: NONE, from, term: 0, logTerm: 0, index: 0, entries: [{ term: 0, index: 0, type, data }], commit: 0, reject: false, rejectHint: 0, context: EMPTY, type: MessageType.Prop };
}

export function newMessage(fields: Partial<Message> & Pick<Message, 'type'>): Message {
  return { to: NONE, from: NONE, term: 0, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, context: EMPTY, ...fields };
}

export function isLocalMessage(t: MessageType): boolean {
  return (
    t === MessageType.Hup ||
    t === MessageType.Beat ||
    t === MessageType.Unreachable ||
    t === MessageType.SnapStatus ||
    t === MessageType.CheckQuorum
  );
}

export function isResponseMessage(t: MessageType): boolean {
  return (
    t === MessageType.AppResp ||
    t === MessageType.VoteResp ||
    t === MessageType.HeartbeatResp ||
    t === MessageType.Unreachable ||
    t === MessageType.PreVoteResp
  );
}

function voteRespType(t: MessageType): MessageType {
  return t === MessageType.PreVote ? MessageType.PreVoteResp : MessageType.VoteResp;
}

const noopLogger: RaftLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined };

/** What a step function reports: undefined, or the proposal was dropped. */
type StepResult = ErrProposalDropped | undefined;

export class Raft {
  readonly id: NodeId;
  /** Current term (persisted). */
  term = 0;
  /** Whom we voted for in `term`, or NONE (persisted). */
  vote: NodeId = NONE;
  /** The leader we know of in `term`, or NONE. */
  lead: NodeId = NONE;
  state = StateType.Follower;
  readonly log: RaftLog;
  /** Configuration, progress of every member (meaningful on the leader) and campaign votes. */
  trk: ProgressTracker;
  /** Outgoing messages since the last Ready. */
  msgs: Message[] = [];
  /** Confirmed reads since the last Ready. */
  readStates: ReadState[] = [];
  /** Leader transfer target, or NONE. */
  leadTransferee: NodeId = NONE;
  /**
   * Index of the newest conf change in the log on a leader; a new conf change is only
   * accepted once applied >= pendingConfIndex (one change at a time).
   */
  pendingConfIndex = 0;
  /** Payload bytes appended by this leader and not yet handed out as committed. */
  uncommittedSize = 0;
  private readOnly = new ReadOnly();
  /** ReadIndex requests received before this leader committed an entry of its term. */
  private pendingReadIndexMessages: Message[] = [];
  /** Ticks since the last election timeout reset (follower/candidate) or check-quorum round (leader). */
  electionElapsed = 0;
  /** Ticks since the last heartbeat (leader only). */
  private heartbeatElapsed = 0;
  /** In [electionTick, 2*electionTick), redrawn on every role change. */
  randomizedElectionTimeout = 0;
  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private readonly logger: RaftLogger;
  private stepFn: (m: Message) => StepResult;
  private tickFn: () => void;
  /** Merges appends and their answers in `msgs` (cfg.coalesceMessages). */
  private readonly coalescer: OutboxCoalescer | undefined;

  constructor(private readonly cfg: RaftConfig) {
    if (cfg.id === NONE) throw new Error('raft: cannot use none as id');
    if (cfg.heartbeatTick <= 0) throw new Error('raft: heartbeat tick must be greater than 0');
    if (cfg.electionTick <= cfg.heartbeatTick) throw new Error('raft: election tick must be greater than heartbeat tick');
    if (cfg.maxInflightMsgs <= 0) throw new Error('raft: max inflight messages must be greater than 0');
    this.id = cfg.id;
    this.electionTimeout = cfg.electionTick;
    this.heartbeatTimeout = cfg.heartbeatTick;
    this.coalescer = cfg.coalesceMessages ? new OutboxCoalescer(cfg.maxSizePerMsg) : undefined;
    this.logger = cfg.logger ?? noopLogger;
    this.log = new RaftLog(cfg.storage, cfg.maxCommittedSizePerReady ?? cfg.maxSizePerMsg);
    const { hardState, confState } = cfg.storage.initialState();
    this.trk = ProgressTracker.fromConfState(confState, this.log.lastIndex() + 1, cfg.maxInflightMsgs, cfg.maxInflightBytes ?? 0);
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) this.loadState(hardState);
    if (cfg.applied !== undefined && cfg.applied > 0) this.log.appliedTo(Math.min(cfg.applied, this.log.committed));
    this.stepFn = this.stepFollower;
    this.tickFn = this.tickElection;
    this.becomeFollower(this.term, NONE);
    this.logger.info(
      `newRaft ${hexId(this.id)} [peers: [${this.trk.votersSorted().map(hexId).join(',')}], term: ${this.term}, commit: ${this.log.committed}, applied: ${this.log.applied}, lastindex: ${this.log.lastIndex()}, lastterm: ${this.log.lastTerm()}]`,
    );
  }

  private loadState(hs: HardState): void {
    if (hs.commit < this.log.committed || hs.commit > this.log.lastIndex()) {
      throw new Error(`raft: ${hexId(this.id)} state.commit ${hs.commit} is out of range [${this.log.committed}, ${this.log.lastIndex()}]`);
    }
    this.log.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  /** Only a voter without a pending snapshot may campaign. */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.log.hasPendingSnapshot();
  }

  confState(): ConfState {
    return this.trk.confState();
  }

  private send(m: Message): void {
    m.from = this.id;
    if (m.type === MessageType.Vote || m.type === MessageType.VoteResp || m.type === MessageType.PreVote || m.type === MessageType.PreVoteResp) {
      // Vote messages carry the term they are about, which is not always ours: a
      // pre-vote asks for term+1, and a granted pre-vote answer echoes that term.
      if (m.term === 0) throw new Error(`raft: term should be set when sending ${MESSAGE_TYPE_NAMES[m.type]}`);
    } else {
      if (m.term !== 0) throw new Error(`raft: term should not be set when sending ${MESSAGE_TYPE_NAMES[m.type]} (was ${m.term})`);
      // Proposals and forwarded reads are local requests relayed to the leader: no term.
      if (m.type !== MessageType.Prop && m.type !== MessageType.ReadIndex) m.term = this.term;
    }
    if (this.coalescer?.absorb(this.msgs, m)) return;
    this.msgs.push(m);
  }

  // ---- role transitions ----

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + Math.floor(this.cfg.random() * this.electionTimeout);
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const last = this.log.lastIndex();
    this.trk.visit((id, pr) => {
      pr.match = id === this.id ? this.log.lastStableIndex() : 0;
      pr.next = last + 1;
      pr.becomeProbe();
      pr.next = last + 1;
      pr.recentActive = false;
    });
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly();
    this.pendingReadIndexMessages = [];
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.stepFn = this.stepFollower;
    this.reset(term);
    this.tickFn = this.tickElection;
    this.lead = lead;
    this.state = StateType.Follower;
    this.logger.info(`${hexId(this.id)} became follower at term ${this.term}`);
  }

  private becomeCandidate(): void {
    if (this.state === StateType.Leader) throw new Error('raft: invalid transition [leader -> candidate]');
    this.stepFn = this.stepCandidate;
    this.reset(this.term + 1);
    this.tickFn = this.tickElection;
    this.vote = this.id;
    this.state = StateType.Candidate;
    this.logger.info(`${hexId(this.id)} became candidate at term ${this.term}`);
  }

  private becomePreCandidate(): void {
    if (this.state === StateType.Leader) throw new Error('raft: invalid transition [leader -> pre-candidate]');
    // A pre-candidate changes neither term nor vote, so a partitioned member that keeps
    // failing pre-votes never disrupts the cluster when it returns.
    this.stepFn = this.stepCandidate;
    this.trk.resetVotes();
    this.tickFn = this.tickElection;
    this.lead = NONE;
    this.state = StateType.PreCandidate;
    this.logger.info(`${hexId(this.id)} became pre-candidate at term ${this.term}`);
  }

  private becomeLeader(): void {
    if (this.state === StateType.Follower) throw new Error('raft: invalid transition [follower -> leader]');
    this.stepFn = this.stepLeader;
    this.reset(this.term);
    this.tickFn = this.tickHeartbeat;
    this.lead = this.id;
    this.state = StateType.Leader;
    const self = this.trk.progress.get(this.id)!;
    self.becomeReplicate();
    self.recentActive = true;
    // Any conf change in the uncommitted tail may be pending: allow no new one before
    // everything up to here is applied.
    this.pendingConfIndex = this.log.lastIndex();
    // Raft §5.4.2 / §8: an empty entry of the new term commits everything before it.
    if (!this.appendEntries([{ term: 0, index: 0, type: EntryType.Normal, data: EMPTY }])) {
      throw new Error('raft: empty entry was dropped');
    }
    this.logger.info(`${hexId(this.id)} became leader at term ${this.term}`);
  }

  // ---- time ----

  tick(): void {
    this.tickFn();
  }

  private pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  /** Followers and candidates: campaign after a randomized election timeout without a leader. */
  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step(newMessage({ type: MessageType.Hup, from: this.id }));
    }
  }

  /** Leaders: heartbeat every heartbeatTick; check quorum and expire transfers every electionTick. */
  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) this.step(newMessage({ type: MessageType.CheckQuorum, from: this.id }));
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.state === StateType.Leader && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.state !== StateType.Leader) return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(newMessage({ type: MessageType.Beat, from: this.id }));
    }
  }

  // ---- elections ----

  private hup(t: CampaignType): void {
    if (this.state === StateType.Leader) return;
    if (!this.promotable()) {
      this.logger.warn(`${hexId(this.id)} is unpromotable and can not campaign`);
      return;
    }
    if (this.hasUnappliedConfChanges()) {
      this.logger.warn(`${hexId(this.id)} cannot campaign at term ${this.term} since there are still pending configuration changes to apply`);
      return;
    }
    this.logger.info(`${hexId(this.id)} is starting a new election at term ${this.term}`);
    this.campaign(t);
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.log.applied >= this.log.committed) return false;
    const lo = Math.max(this.log.applied + 1, this.log.firstIndex());
    for (const e of this.log.slice(lo, this.log.committed + 1, Number.MAX_SAFE_INTEGER)) {
      if (e.type === EntryType.ConfChange) return true;
    }
    return false;
  }

  campaign(t: CampaignType): void {
    if (!this.promotable()) {
      this.logger.warn(`${hexId(this.id)} is unpromotable; campaign() should have been called`);
      return;
    }
    let voteMsg: MessageType;
    let term: number;
    if (t === 'pre-election') {
      this.becomePreCandidate();
      voteMsg = MessageType.PreVote;
      // Pre-votes ask about the term we would campaign at, without moving to it.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteMsg = MessageType.Vote;
      term = this.term;
    }
    if (this.poll(this.id, voteRespType(voteMsg), true) === VoteResult.Won) {
      // A single voter wins on its own vote.
      if (t === 'pre-election') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    for (const id of this.trk.votersSorted()) {
      if (id === this.id) continue;
      this.logger.info(
        `${hexId(this.id)} [logterm: ${this.log.lastTerm()}, index: ${this.log.lastIndex()}] sent ${MESSAGE_TYPE_NAMES[voteMsg]} request to ${hexId(id)} at term ${this.term}`,
      );
      this.send(
        newMessage({
          type: voteMsg,
          to: id,
          term,
          index: this.log.lastIndex(),
          logTerm: this.log.lastTerm(),
          context: t === 'transfer' ? CAMPAIGN_TRANSFER : EMPTY,
        }),
      );
    }
  }

  private poll(id: NodeId, t: MessageType, granted: boolean): VoteResult {
    if (granted) this.logger.info(`${hexId(this.id)} received ${MESSAGE_TYPE_NAMES[t]} from ${hexId(id)} at term ${this.term}`);
    else this.logger.info(`${hexId(this.id)} received ${MESSAGE_TYPE_NAMES[t]} rejection from ${hexId(id)} at term ${this.term}`);
    this.trk.recordVote(id, granted);
    const { granted: yes, rejected, result } = this.trk.tallyVotes();
    this.logger.info(`${hexId(this.id)} has received ${yes} ${MESSAGE_TYPE_NAMES[t]} votes and ${rejected} vote rejections`);
    return result;
  }

  // ---- step ----

  /** Feeds one message; returns ErrProposalDropped if it was a proposal that cannot be taken. */
  step(m: Message): StepResult {
    if (m.term === 0) {
      // local message
    } else if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        const force = sameBytes(m.context, CAMPAIGN_TRANSFER);
        const inLease = this.cfg.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        if (!force && inLease) {
          // Leader lease (thesis §4.2.3): we heard from a leader within the minimum election
          // timeout, so this candidate cannot have a quorum; do not let it disrupt us.
          this.logger.info(
            `${hexId(this.id)} [logterm: ${this.log.lastTerm()}, index: ${this.log.lastIndex()}, vote: ${hexId(this.vote)}] ignored ${MESSAGE_TYPE_NAMES[m.type]} from ${hexId(m.from)} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}: lease is not expired (remaining ticks: ${this.electionTimeout - this.electionElapsed})`,
          );
          return undefined;
        }
      }
      if (m.type === MessageType.PreVote) {
        // Never change our term in response to a pre-vote.
      } else if (m.type === MessageType.PreVoteResp && !m.reject) {
        // A granted pre-vote carries the future term; we move to it only if we win.
      } else {
        this.logger.info(`${hexId(this.id)} [term: ${this.term}] received a ${MESSAGE_TYPE_NAMES[m.type]} message with higher term from ${hexId(m.from)} [term: ${m.term}]`);
        const fromLeader = m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap;
        this.becomeFollower(m.term, fromLeader ? m.from : NONE);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === MessageType.Heartbeat || m.type === MessageType.App)) {
        // A stale leader (e.g. back from a partition) keeps sending; with check-quorum or
        // pre-vote we would never raise our term to its liking, so tell it ours and let it
        // step down.
        this.send(newMessage({ type: MessageType.AppResp, to: m.from }));
      } else if (m.type === MessageType.PreVote) {
        // Reject explicitly so the pre-candidate learns our term instead of waiting.
        this.send(newMessage({ type: MessageType.PreVoteResp, to: m.from, term: this.term, reject: true }));
      } else {
        this.logger.info(`${hexId(this.id)} [term: ${this.term}] ignored a ${MESSAGE_TYPE_NAMES[m.type]} message with lower term from ${hexId(m.from)} [term: ${m.term}]`);
      }
      return undefined;
    }

    switch (m.type) {
      case MessageType.Hup:
        this.hup(this.cfg.preVote ? 'pre-election' : 'election');
        return undefined;
      case MessageType.Vote:
      case MessageType.PreVote: {
        // We can vote if this is a repeat of a vote we cast, if we have not voted and know
        // no leader in this term, or if it is a pre-vote for a future term.
        const canVote =
          this.vote === m.from ||
          (this.vote === NONE && this.lead === NONE) ||
          (m.type === MessageType.PreVote && m.term > this.term);
        // Raft §5.4.1: only for a candidate whose log is at least as up to date as ours.
        if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
          this.logger.info(
            `${hexId(this.id)} [logterm: ${this.log.lastTerm()}, index: ${this.log.lastIndex()}, vote: ${hexId(this.vote)}] cast ${MESSAGE_TYPE_NAMES[m.type]} for ${hexId(m.from)} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
          );
          this.send(newMessage({ type: voteRespType(m.type), to: m.from, term: m.term }));
          if (m.type === MessageType.Vote) {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.logger.info(
            `${hexId(this.id)} [logterm: ${this.log.lastTerm()}, index: ${this.log.lastIndex()}, vote: ${hexId(this.vote)}] rejected ${MESSAGE_TYPE_NAMES[m.type]} from ${hexId(m.from)} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
          );
          this.send(newMessage({ type: voteRespType(m.type), to: m.from, term: this.term, reject: true }));
        }
        return undefined;
      }
      default:
        return this.stepFn(m);
    }
  }

  // ---- leader ----

  /** Assigns term and indexes and appends; false if the uncommitted-size limit refuses them. */
  private appendEntries(ents: Entry[]): boolean {
    const last = this.log.lastIndex();
    for (let i = 0; i < ents.length; i++) {
      ents[i]!.term = this.term;
      ents[i]!.index = last + 1 + i;
    }
    if (!this.increaseUncommittedSize(ents)) {
      this.logger.warn(`${hexId(this.id)} appending new entries to log would exceed uncommitted entry size limit; dropping proposal`);
      return false;
    }
    this.log.append(ents);
    // Our own acknowledgement waits until the driver persisted the entries (onPersisted).
    return true;
  }

  private increaseUncommittedSize(ents: Entry[]): boolean {
    let s = 0;
    for (const e of ents) s += e.data.length;
    const limit = this.cfg.maxUncommittedEntriesSize ?? 0;
    // An empty entry never counts, and a single oversized batch is let through when
    // nothing is outstanding, so progress is always possible.
    if (limit > 0 && this.uncommittedSize > 0 && s > 0 && this.uncommittedSize + s > limit) return false;
    this.uncommittedSize += s;
    return true;
  }

  /** Called as committed entries are handed to the application. */
  reduceUncommittedSize(ents: Entry[]): void {
    if (this.uncommittedSize === 0) return;
    let s = 0;
    for (const e of ents) s += e.data.length;
    this.uncommittedSize = Math.max(0, this.uncommittedSize - s);
  }

  /** The driver persisted our log up to (index, term). A leader now counts it towards a quorum. */
  onPersisted(index: number, term: number): void {
    if (this.state !== StateType.Leader || !this.log.matchTerm(index, term)) return;
    const pr = this.trk.progress.get(this.id);
    if (pr && pr.maybeUpdate(index) && this.maybeCommit()) this.onCommitAdvanced();
  }

  private maybeCommit(): boolean {
    return this.log.maybeCommit(this.trk.committed(), this.term);
  }

  private onCommitAdvanced(): void {
    this.releasePendingReadIndexMessages();
    this.bcastAppend();
  }

  /** Sends an append (or a snapshot) to `to` if flow control allows; see maybeSendAppend. */
  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends entries from pr.next, or a snapshot if they were compacted away. With
   * sendIfEmpty false, nothing is sent when there are no new entries. Returns whether a
   * message was sent.
   */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    let prevTerm: number;
    let ents: Entry[];
    try {
      prevTerm = this.log.term(prevIndex);
      // A full window sends no entries, only an empty append: if every append in the
      // window was lost, its answer (ack or reject) is what frees the window again.
      ents = pr.state === ProgressState.Replicate && pr.inflights.full() ? [] : this.log.entries(pr.next, this.cfg.maxSizePerMsg);
    } catch (err) {
      if (!(err instanceof ErrCompacted || err instanceof ErrUnavailable)) throw err;
      return this.sendSnapshot(to);
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send(newMessage({ type: MessageType.App, to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.log.committed }));
    pr.sentEntries(ents.length, RaftLog.payloadBytes(ents));
    return true;
  }

  private sendSnapshot(to: NodeId): boolean {
    const pr = this.trk.progress.get(to)!;
    if (!pr.recentActive) {
      // Snapshots are expensive: do not send one to a member we have not heard from.
      return false;
    }
    const snap = this.log.snapshot();
    if (snap.metadata.index === 0) throw new Error('raft: need non-empty snapshot');
    this.logger.info(
      `${hexId(this.id)} [firstindex: ${this.log.firstIndex()}, commit: ${this.log.committed}] sent snapshot[index: ${snap.metadata.index}, term: ${snap.metadata.term}] to ${hexId(to)}`,
    );
    pr.becomeSnapshot(snap.metadata.index);
    this.send(newMessage({ type: MessageType.Snap, to, snapshot: snap }));
    return true;
  }

  private bcastAppend(): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendAppend(id);
    });
  }

  private bcastHeartbeat(): void {
    this.bcastHeartbeatWithCtx(this.readOnly.lastPendingRequestCtx() ?? EMPTY);
  }

  private bcastHeartbeatWithCtx(ctx: Uint8Array): void {
    this.trk.visit((id, pr) => {
      if (id === this.id) return;
      // Never tell a follower to commit beyond what it is known to hold: its log past
      // `match` may still differ from ours.
      this.send(newMessage({ type: MessageType.Heartbeat, to: id, commit: Math.min(pr.match, this.log.committed), context: ctx }));
    });
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.termOrZero(this.log.committed) === this.term;
  }

  private stepLeader = (m: Message): StepResult => {
    switch (m.type) {
      case MessageType.Beat:
        this.bcastHeartbeat();
        return undefined;
      case MessageType.CheckQuorum:
        if (!this.trk.quorumActive()) {
          this.logger.warn(`${hexId(this.id)} stepped down to follower since quorum is not active`);
          this.becomeFollower(this.term, NONE);
        }
        // Every follower must prove itself active again during the next round.
        this.trk.visit((id, pr) => {
          if (id !== this.id) pr.recentActive = false;
        });
        return undefined;
      case MessageType.Prop: {
        if (m.entries.length === 0) throw new Error(`raft: ${hexId(this.id)} stepped empty MsgProp`);
        if (!this.trk.progress.has(this.id)) {
          // Removed from the configuration: we may not be able to commit anything.
          return new ErrProposalDropped();
        }
        if (this.leadTransferee !== NONE) {
          this.logger.info(`${hexId(this.id)} [term ${this.term}] transfer leadership to ${hexId(this.leadTransferee)} is in progress; dropping proposal`);
          return new ErrProposalDropped();
        }
        for (let i = 0; i < m.entries.length; i++) {
          const e = m.entries[i]!;
          if (e.type !== EntryType.ConfChange) continue;
          if (this.pendingConfIndex > this.log.applied) {
            // One change at a time: the earlier one is not applied yet, so this one
            // becomes an empty entry (its proposer will see it never applies).
            this.logger.info(`${hexId(this.id)} ignoring conf change at index ${this.log.lastIndex() + i + 1}: possible unapplied conf change at index ${this.pendingConfIndex} (applied to ${this.log.applied})`);
            m.entries[i] = { term: 0, index: 0, type: EntryType.Normal, data: EMPTY };
          } else {
            this.pendingConfIndex = this.log.lastIndex() + i + 1;
          }
        }
        if (!this.appendEntries(m.entries)) return new ErrProposalDropped();
        this.bcastAppend();
        return undefined;
      }
      case MessageType.ReadIndex:
        if (this.trk.isSingleton()) {
          // Nobody else can have been elected: the commit index is current.
          this.responseToReadIndexReq(m, this.log.committed);
          return undefined;
        }
        if (!this.committedEntryInCurrentTerm()) {
          // Thesis §6.4: until it commits an entry of its term, a new leader does not know
          // the true commit index. Hold the read until then.
          if (this.pendingReadIndexMessages.length < MAX_PENDING_READ_INDEX_MESSAGES) this.pendingReadIndexMessages.push(m);
          else this.logger.warn(`${hexId(this.id)} dropped read index request: ${MAX_PENDING_READ_INDEX_MESSAGES} already pending`);
          return undefined;
        }
        this.sendReadIndexConfirmation(m);
        return undefined;
    }

    const pr = this.trk.progress.get(m.from);
    if (!pr) return undefined;
    switch (m.type) {
      case MessageType.AppResp: {
        pr.recentActive = true;
        if (m.reject) {
          // Fast backtracking: the follower's hint is the last index where its log may
          // match, with its term there; skip every entry of ours with a greater term.
          let nextProbeIdx = m.rejectHint;
          if (m.logTerm > 0) nextProbeIdx = this.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
          if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
            if (pr.state === ProgressState.Replicate) pr.becomeProbe();
            this.sendAppend(m.from);
          }
          return undefined;
        }
        const oldPaused = pr.isPaused();
        if (pr.maybeUpdate(m.index)) {
          if (pr.state === ProgressState.Replicate) {
            pr.inflights.freeLE(m.index);
            pr.msgAppFlowPaused = pr.inflights.full();
          }
          if (pr.state === ProgressState.Probe) {
            pr.becomeReplicate();
          } else if (pr.state === ProgressState.Snapshot && pr.match + 1 >= this.log.firstIndex()) {
            // The follower caught up past our compaction point: entries can flow again.
            pr.becomeProbe();
            pr.becomeReplicate();
          }
          if (this.maybeCommit()) {
            this.onCommitAdvanced();
          } else if (oldPaused) {
            // The window had been full; tell the follower about our commit too.
            this.sendAppend(m.from);
          }
          // Stream what remains, until the window fills or the follower is caught up.
          while (this.maybeSendAppend(m.from, false)) {
            /* keep sending */
          }
          if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
            this.logger.info(`${hexId(this.id)} sent MsgTimeoutNow to ${hexId(m.from)} after received MsgAppResp`);
            this.send(newMessage({ type: MessageType.TimeoutNow, to: m.from }));
          }
        }
        return undefined;
      }
      case MessageType.HeartbeatResp: {
        pr.recentActive = true;
        pr.msgAppFlowPaused = false;
        if (pr.match < this.log.lastIndex() || pr.state === ProgressState.Probe) this.sendAppend(m.from);
        if (m.context.length === 0) return undefined;
        const acks = this.readOnly.recvAck(m.from, m.context);
        if (!acks) return undefined;
        let confirmed = 0;
        for (const id of acks) if (this.trk.voters.has(id)) confirmed++;
        if (confirmed < Math.floor(this.trk.voters.size / 2) + 1) return undefined;
        for (const rs of this.readOnly.advance(m.context)) this.responseToReadIndexReq(rs.req, rs.index);
        return undefined;
      }
      case MessageType.SnapStatus:
        if (pr.state !== ProgressState.Snapshot) return undefined;
        if (m.reject) {
          pr.pendingSnapshot = 0;
          this.logger.info(`${hexId(this.id)} snapshot failed, resumed sending replication messages to ${hexId(m.from)} [${pr.toString()}]`);
        } else {
          this.logger.info(`${hexId(this.id)} snapshot succeeded, resumed sending replication messages to ${hexId(m.from)} [${pr.toString()}]`);
        }
        pr.becomeProbe();
        // Wait for the follower's next heartbeat response before probing: a snapshot
        // may still be in the follower's hands.
        pr.msgAppFlowPaused = true;
        return undefined;
      case MessageType.Unreachable:
        // Appends were likely lost: fall back to probing.
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        // Reported on every heartbeat while a peer is down: debug, as etcd logs it.
        this.logger.debug(`${hexId(this.id)} failed to send message to ${hexId(m.from)} because it is unreachable [${pr.toString()}]`);
        return undefined;
      case MessageType.TransferLeader: {
        if (pr.isLearner) {
          this.logger.info(`${hexId(this.id)} [term ${this.term}] ignored transferring leadership to learner ${hexId(m.from)}`);
          return undefined;
        }
        const transferee = m.from;
        const last = this.leadTransferee;
        if (last !== NONE) {
          if (last === transferee) {
            this.logger.info(`${hexId(this.id)} [term ${this.term}] transfer leadership to ${hexId(transferee)} is in progress, ignores request to same node ${hexId(transferee)}`);
            return undefined;
          }
          this.abortLeaderTransfer();
          this.logger.info(`${hexId(this.id)} [term ${this.term}] abort previous transferring leadership to ${hexId(last)}`);
        }
        if (transferee === this.id) {
          this.logger.info(`${hexId(this.id)} is already leader. Ignored transferring leadership to self`);
          return undefined;
        }
        this.logger.info(`${hexId(this.id)} [term ${this.term}] starts to transfer leadership to ${hexId(transferee)}`);
        // The transfer must finish within an election timeout (tickHeartbeat aborts it).
        this.electionElapsed = 0;
        this.leadTransferee = transferee;
        if (pr.match === this.log.lastIndex()) {
          this.logger.info(`${hexId(this.id)} sends MsgTimeoutNow to ${hexId(transferee)} immediately as ${hexId(transferee)} already has up-to-date log`);
          this.send(newMessage({ type: MessageType.TimeoutNow, to: transferee }));
        } else {
          this.sendAppend(transferee);
        }
        return undefined;
      }
    }
    return undefined;
  };

  /** ReadIndex, safe mode: record the read at our commit index and confirm leadership with a heartbeat round. */
  private sendReadIndexConfirmation(m: Message): void {
    const ctx = m.entries[0]?.data ?? EMPTY;
    if (!this.readOnly.addRequest(this.log.committed, m)) {
      this.logger.warn(`${hexId(this.id)} dropped read index request (duplicate context or queue full)`);
      return;
    }
    this.readOnly.recvAck(this.id, ctx);
    this.bcastHeartbeatWithCtx(ctx);
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.sendReadIndexConfirmation(m);
  }

  private responseToReadIndexReq(req: Message, readIndex: number): void {
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index: readIndex, requestCtx: req.entries[0]?.data ?? EMPTY });
      return;
    }
    this.send(newMessage({ type: MessageType.ReadIndexResp, to: req.from, index: readIndex, entries: req.entries }));
  }

  // ---- candidate ----

  /** Candidates and pre-candidates. */
  private stepCandidate = (m: Message): StepResult => {
    // A pre-candidate only counts pre-vote answers, a candidate only vote answers: a
    // late answer from an earlier round must not be mistaken for this one.
    const myVoteRespType = this.state === StateType.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (m.type) {
      case MessageType.Prop:
        this.logger.info(`${hexId(this.id)} no leader at term ${this.term}; dropping proposal`);
        return new ErrProposalDropped();
      case MessageType.App:
        this.becomeFollower(m.term, m.from); // always m.term === this.term here
        this.handleAppendEntries(m);
        return undefined;
      case MessageType.Heartbeat:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return undefined;
      case MessageType.Snap:
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return undefined;
      case myVoteRespType: {
        const res = this.poll(m.from, m.type, !m.reject);
        if (res === VoteResult.Won) {
          if (this.state === StateType.PreCandidate) {
            this.campaign('election');
          } else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (res === VoteResult.Lost) {
          // Pre-vote and vote answers at our term both end the campaign.
          this.becomeFollower(this.term, NONE);
        }
        return undefined;
      }
      case MessageType.TimeoutNow:
        this.logger.info(`${hexId(this.id)} [term ${this.term} state ${STATE_NAMES[this.state]}] ignored MsgTimeoutNow from ${hexId(m.from)}`);
        return undefined;
    }
    return undefined;
  };

  // ---- follower ----

  private stepFollower = (m: Message): StepResult => {
    switch (m.type) {
      case MessageType.Prop:
        if (this.lead === NONE) {
          this.logger.info(`${hexId(this.id)} no leader at term ${this.term}; dropping proposal`);
          return new ErrProposalDropped();
        }
        m.to = this.lead;
        this.send(m);
        return undefined;
      case MessageType.App:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return undefined;
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return undefined;
      case MessageType.Snap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return undefined;
      case MessageType.TransferLeader:
        if (this.lead === NONE) {
          this.logger.info(`${hexId(this.id)} no leader at term ${this.term}; dropping leader transfer msg`);
          return undefined;
        }
        m.to = this.lead;
        this.send(m);
        return undefined;
      case MessageType.TimeoutNow:
        this.logger.info(`${hexId(this.id)} [term ${this.term}] received MsgTimeoutNow from ${hexId(m.from)} and starts an election to get leadership`);
        // Leadership transfer never uses pre-vote: the leader asked for it, so there is
        // no risk of disruption, and the lease must be overridden.
        this.hup('transfer');
        return undefined;
      case MessageType.ReadIndex:
        if (this.lead === NONE) {
          this.logger.info(`${hexId(this.id)} no leader at term ${this.term}; dropping index reading msg`);
          return undefined;
        }
        m.to = this.lead;
        this.send(m);
        return undefined;
      case MessageType.ReadIndexResp:
        if (m.entries.length !== 1) {
          this.logger.warn(`${hexId(this.id)} invalid format of MsgReadIndexResp from ${hexId(m.from)}, entries count: ${m.entries.length}`);
          return undefined;
        }
        this.readStates.push({ index: m.index, requestCtx: m.entries[0]!.data });
        return undefined;
    }
    return undefined;
  };

  private handleAppendEntries(m: Message): void {
    if (m.index < this.log.committed) {
      // Everything up to our commit index already matches the leader's (Log Matching).
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: this.log.committed }));
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: lastNew }));
      return;
    }
    // Reject with a hint: the last index at or below m.index whose term is <= m.logTerm.
    // The leader can skip everything after it that does not match.
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.logger.info(
      `${hexId(this.id)} [logterm: ${this.log.termOrZero(m.index)}, index: ${m.index}] rejected MsgApp [logterm: ${m.logTerm}, index: ${m.index}] from ${hexId(m.from)}`,
    );
    this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term }));
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(m.commit);
    this.send(newMessage({ type: MessageType.HeartbeatResp, to: m.from, context: m.context }));
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    if (!s) return;
    const { index, term } = s.metadata;
    if (this.restore(s)) {
      this.logger.info(`${hexId(this.id)} [commit: ${this.log.committed}] restored snapshot [index: ${index}, term: ${term}]`);
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: this.log.lastIndex() }));
    } else {
      this.logger.info(`${hexId(this.id)} [commit: ${this.log.committed}] ignored snapshot [index: ${index}, term: ${term}]`);
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: this.log.committed }));
    }
  }

  /** Installs a leader's snapshot; false if it is stale or our log already has it. */
  private restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.log.committed) return false;
    if (this.state !== StateType.Follower) {
      this.logger.warn(`${hexId(this.id)} attempted to restore snapshot as leader; should never happen`);
      this.becomeFollower(this.term + 1, NONE);
      return false;
    }
    const cs = s.metadata.confState;
    if (!cs.voters.includes(this.id) && !cs.learners.includes(this.id)) {
      this.logger.warn(`${hexId(this.id)} attempted to restore snapshot but it is not in the ConfState; should never happen`);
      return false;
    }
    if (this.log.matchTerm(s.metadata.index, s.metadata.term)) {
      // Our log already has the snapshot's last entry: just fast-forward the commit index.
      this.log.commitTo(s.metadata.index);
      return false;
    }
    this.log.restore(s);
    this.trk = ProgressTracker.fromConfState(cs, this.log.lastIndex() + 1, this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes ?? 0);
    const self = this.trk.progress.get(this.id)!;
    self.maybeUpdate(s.metadata.index);
    return true;
  }

  // ---- proposals, membership, leadership transfer ----

  private abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  /** Applies a committed conf change (the application calls this as it applies the entry). */
  applyConfChange(cc: ConfChange): ConfState {
    // A change the application refused at apply time carries no node: nothing changes.
    if (cc.nodeId === NONE) return this.trk.confState();
    applyConfChangeToTracker(this.trk, cc, this.log.lastIndex());
    const cs = this.trk.confState();
    const self = this.trk.progress.get(this.id);
    if (this.state !== StateType.Leader) return cs;
    if (!self || self.isLearner) {
      // We were removed or demoted: a leader outside the voters must not keep leading.
      this.logger.info(`${hexId(this.id)} stepped down: no longer a voter after ${ConfChangeType[cc.type]} of ${hexId(cc.nodeId)}`);
      this.becomeFollower(this.term, NONE);
      return cs;
    }
    if (this.leadTransferee !== NONE && !this.trk.voters.has(this.leadTransferee)) this.abortLeaderTransfer();
    // The quorum may have shrunk (removal): entries may now be committed.
    if (this.maybeCommit()) {
      this.onCommitAdvanced();
    } else {
      this.trk.visit((id) => {
        if (id !== this.id) this.maybeSendAppend(id, false);
      });
    }
    return cs;
  }

  /** Writes the initial members of a brand-new cluster into the (empty) log, committed at term 1. */
  bootstrap(peers: { id: NodeId; context: Uint8Array }[], encode: (cc: ConfChange) => Uint8Array): void {
    if (peers.length === 0) throw new Error('raft: must provide at least one peer to Bootstrap');
    if (this.log.lastIndex() !== 0) throw new Error('raft: can only bootstrap an empty log');
    this.becomeFollower(1, NONE);
    const ents: Entry[] = peers.map((p, i) => ({
      term: 1,
      index: i + 1,
      type: EntryType.ConfChange,
      data: encode({ type: ConfChangeType.AddNode, nodeId: p.id, context: p.context, id: 0n }),
    }));
    this.log.append(ents);
    // Committed from the start: they are the cluster's founding configuration, and every
    // member writes the same ones. Apply them now too so the node can campaign at once;
    // the application applies them again from committedEntries (AddNode is idempotent).
    this.log.committed = ents.length;
    for (const e of ents) this.applyConfChange(decodeConfChange(e.data));
  }

  /** Sorted member ids, for status and tests. */
  memberIds(): NodeId[] {
    return [...this.trk.progress.keys()].sort(compareIds);
  }

  /** Pending reads on the leader (for tests and status). */
  pendingReadCount(): number {
    return this.readOnly.size() + this.pendingReadIndexMessages.length;
  }
}

