// The raft consensus state machine (Ongaro & Ousterhout, "In Search of an Understandable
// Consensus Algorithm"), extended as etcd-io/raft is: pre-vote, check-quorum with leader
// lease, learners, leader transfer and ReadIndex. Synchronous and deterministic: time is
// tick(), input is step(), output accumulates in `msgs` and `readStates` for the driver.

import { ErrProposalDropped } from './errors.js';
import { RaftLog } from './log.js';
import { Progress, ProgressState } from './progress.js';
import type { RaftStorage } from './storage.js';
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
} from './types.js';
import { decodeConfChange } from './confchange-codec.js';

export interface RaftLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface RaftConfig {
  id: NodeId;
  /** Ticks without hearing from a leader before a follower campaigns (randomized up to 2x). */
  electionTick: number;
  /** Ticks between leader heartbeats. */
  heartbeatTick: number;
  storage: RaftStorage;
  /** Last applied index (entries up to it are not handed out again). */
  applied?: number;
  /** Bytes per append message. */
  maxSizePerMsg: number;
  /** Append messages in flight per follower in Replicate state. */
  maxInflightMsgs: number;
  /** Bytes of uncommitted entry payloads a leader accepts before dropping proposals (0 or absent: no limit). */
  maxUncommittedEntriesSize?: number;
  checkQuorum: boolean;
  preVote: boolean;
  /** Seeded source in [0, 1) for election timeouts. */
  random: () => number;
  logger?: RaftLogger;
}

/** Context marking a vote request that comes from a leader transfer (it overrides leases). */
const CAMPAIGN_TRANSFER = new TextEncoder().encode('CampaignTransfer');

const EMPTY = new Uint8Array();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function newMessage(fields: Partial<Message> & Pick<Message, 'type'>): Message {
  return { to: NONE, from: NONE, term: 0, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, context: EMPTY, ...fields };
}

interface PendingRead {
  index: number;
  from: NodeId;
  ctx: Uint8Array;
  acks: Set<NodeId>;
}

const noopLogger: RaftLogger = { info: () => undefined, warn: () => undefined };

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  state = StateType.Follower;
  readonly log: RaftLog;
  /** Progress of every voter and learner (the leader's view; others keep it for membership). */
  prs = new Map<NodeId, Progress>();
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  private votes = new Map<NodeId, boolean>();
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  leadTransferee: NodeId = NONE;
  /** Index of the newest conf change proposed; another waits until it is applied. */
  private pendingConfIndex = 0;
  private pendingReads: PendingRead[] = [];
  /** Reads that arrived before this leader committed an entry of its term. */
  private readsBeforeCommit: Message[] = [];
  private readonly logger: RaftLogger;

  constructor(private readonly cfg: RaftConfig) {
    this.id = cfg.id;
    this.logger = cfg.logger ?? noopLogger;
    this.log = new RaftLog(cfg.storage, cfg.maxSizePerMsg * 64);
    const { hardState, confState } = cfg.storage.initialState();
    for (const v of confState.voters) this.prs.set(v, new Progress(1, false, cfg.maxInflightMsgs));
    for (const l of confState.learners) this.prs.set(l, new Progress(1, true, cfg.maxInflightMsgs));
    if (hardState.term !== 0 || hardState.commit !== 0 || hardState.vote !== NONE) this.loadState(hardState);
    if (cfg.applied && cfg.applied > 0) this.log.appliedTo(Math.min(cfg.applied, this.log.committed));
    this.becomeFollower(this.term, NONE);
  }

  private loadState(hs: HardState): void {
    if (hs.commit < this.log.committed || hs.commit > this.log.lastIndex()) {
      throw new Error(`raft: ${this.id.toString(16)} state.commit ${hs.commit} is out of range [${this.log.committed}, ${this.log.lastIndex()}]`);
    }
    this.log.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  /** A node may campaign only if it is a voter. */
  promotable(): boolean {
    const pr = this.prs.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.log.unstableSnapshot;
  }

  private voters(): NodeId[] {
    return [...this.prs].filter(([, p]) => !p.isLearner).map(([id]) => id);
  }

  private quorum(): number {
    return Math.floor(this.voters().length / 2) + 1;
  }

  confState(): ConfState {
    const voters: NodeId[] = [];
    const learners: NodeId[] = [];
    for (const [id, p] of this.prs) (p.isLearner ? learners : voters).push(id);
    return { voters, learners };
  }

  private send(m: Message): void {
    m.from = this.id;
    // Votes carry their own term; proposals and forwarded reads carry none.
    if (m.type !== MessageType.Vote && m.type !== MessageType.VoteResp && m.type !== MessageType.PreVote && m.type !== MessageType.PreVoteResp) {
      if (m.type !== MessageType.Prop && m.type !== MessageType.ReadIndex) m.term = this.term;
    }
    this.msgs.push(m);
  }

  // ---- role transitions ----

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTick + Math.floor(this.cfg.random() * this.cfg.electionTick);
    this.votes.clear();
    this.leadTransferee = NONE;
    this.pendingReads = [];
    this.readsBeforeCommit = [];
    const last = this.log.lastIndex();
    for (const [id, p] of this.prs) {
      const np = new Progress(last + 1, p.isLearner, this.cfg.maxInflightMsgs);
      if (id === this.id) np.match = last;
      this.prs.set(id, np);
    }
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.state = StateType.Follower;
  }

  private becomeCandidate(): void {
    if (this.state === StateType.Leader) throw new Error('raft: invalid transition [leader -> candidate]');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = StateType.Candidate;
    this.logger.info(`${this.id.toString(16)} became candidate at term ${this.term}`);
  }

  private becomePreCandidate(): void {
    // Pre-vote changes neither term nor vote: a partitioned node cannot disrupt the cluster.
    this.votes.clear();
    this.lead = NONE;
    this.state = StateType.PreCandidate;
    this.logger.info(`${this.id.toString(16)} became pre-candidate at term ${this.term}`);
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.lead = this.id;
    this.state = StateType.Leader;
    this.prs.get(this.id)?.becomeReplicate();
    // Conservatively treat any conf change in the uncommitted tail as pending.
    this.pendingConfIndex = this.log.lastIndex();
    this.appendEntries([{ term: 0, index: 0, type: EntryType.Normal, data: EMPTY }]);
    this.logger.info(`${this.id.toString(16)} became leader at term ${this.term}`);
  }

  // ---- time ----

  tick(): void {
    if (this.state === StateType.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step(newMessage({ type: MessageType.Hup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) this.step(newMessage({ type: MessageType.CheckQuorum, from: this.id }));
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.state === StateType.Leader && this.leadTransferee !== NONE) this.leadTransferee = NONE;
    }
    if (this.state !== StateType.Leader) return;
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.step(newMessage({ type: MessageType.Beat, from: this.id }));
    }
  }

  // ---- elections ----

  private campaign(kind: 'pre' | 'election' | 'transfer'): void {
    if (!this.promotable()) return;
    let voteType: MessageType;
    let term: number;
    if (kind === 'pre') {
      this.becomePreCandidate();
      voteType = MessageType.PreVote;
      term = this.term + 1; // the term we would campaign at
    } else {
      this.becomeCandidate();
      voteType = MessageType.Vote;
      term = this.term;
    }
    if (this.poll(this.id, voteType === MessageType.PreVote ? MessageType.PreVoteResp : MessageType.VoteResp, true) === 'won') {
      if (kind === 'pre') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    for (const id of this.voters()) {
      if (id === this.id) continue;
      this.send(
        newMessage({
          type: voteType,
          to: id,
          term,
          index: this.log.lastIndex(),
          logTerm: this.log.lastTerm(),
          context: kind === 'transfer' ? CAMPAIGN_TRANSFER : EMPTY,
        }),
      );
    }
  }

  private poll(id: NodeId, _t: MessageType, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    let yes = 0;
    let no = 0;
    for (const v of this.voters()) {
      const g = this.votes.get(v);
      if (g === true) yes++;
      else if (g === false) no++;
    }
    const q = this.quorum();
    if (yes >= q) return 'won';
    if (no >= q) return 'lost';
    return 'pending';
  }

  // ---- step ----

  step(m: Message): void {
    if (m.term === 0) {
      // local message
    } else if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        const force = sameBytes(m.context, CAMPAIGN_TRANSFER);
        const inLease = this.cfg.checkQuorum && this.lead !== NONE && this.electionElapsed < this.cfg.electionTick;
        if (!force && inLease) return; // §6 of the thesis: ignore disruptive candidates while a leader is alive
      }
      if (m.type === MessageType.PreVote) {
        // never change term for a pre-vote
      } else if (m.type === MessageType.PreVoteResp && !m.reject) {
        // a granted pre-vote at a future term: counted below
      } else {
        const lead = m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap ? m.from : NONE;
        this.becomeFollower(m.term, lead);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === MessageType.Heartbeat || m.type === MessageType.App)) {
        // Tell a stale leader about the new term so it steps down.
        this.send(newMessage({ type: MessageType.AppResp, to: m.from }));
      } else if (m.type === MessageType.PreVote) {
        this.send(newMessage({ type: MessageType.PreVoteResp, to: m.from, term: this.term, reject: true }));
      }
      return;
    }

    switch (m.type) {
      case MessageType.Hup:
        if (this.state === StateType.Leader) return;
        if (this.log.committed > this.log.applied && this.hasUnappliedConfChanges()) {
          this.logger.warn(`${this.id.toString(16)} cannot campaign at term ${this.term}: pending configuration changes to apply`);
          return;
        }
        this.campaign(this.cfg.preVote ? 'pre' : 'election');
        return;
      case MessageType.Vote:
      case MessageType.PreVote: {
        const canVote =
          this.vote === m.from ||
          (this.vote === NONE && this.lead === NONE) ||
          (m.type === MessageType.PreVote && m.term > this.term);
        const respType = m.type === MessageType.Vote ? MessageType.VoteResp : MessageType.PreVoteResp;
        if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
          // A pre-vote reply carries the candidate's future term so it is not ignored as stale.
          this.send(newMessage({ type: respType, to: m.from, term: m.term }));
          if (m.type === MessageType.Vote) {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.send(newMessage({ type: respType, to: m.from, term: this.term, reject: true }));
        }
        return;
      }
    }

    switch (this.state) {
      case StateType.Leader:
        this.stepLeader(m);
        break;
      case StateType.Candidate:
      case StateType.PreCandidate:
        this.stepCandidate(m);
        break;
      default:
        this.stepFollower(m);
    }
  }

  private hasUnappliedConfChanges(): boolean {
    for (const e of this.log.slice(this.log.applied + 1, this.log.committed + 1, Number.MAX_SAFE_INTEGER)) {
      if (e.type === EntryType.ConfChange) return true;
    }
    return false;
  }

  // ---- leader ----

  private appendEntries(ents: Entry[]): void {
    const last = this.log.lastIndex();
    ents.forEach((e, i) => {
      e.term = this.term;
      e.index = last + 1 + i;
    });
    this.log.append(ents);
    this.prs.get(this.id)?.maybeUpdate(this.log.lastIndex());
    this.maybeCommit();
  }

  private maybeCommit(): boolean {
    const matches = this.voters()
      .map((id) => this.prs.get(id)!.match)
      .sort((a, b) => b - a);
    const q = this.quorum();
    if (matches.length === 0) return false;
    return this.log.maybeCommit(matches[q - 1]!, this.term);
  }

  private sendAppend(to: NodeId, sendIfEmpty = true): boolean {
    const pr = this.prs.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    let ents: Entry[] = [];
    let compacted = prevIndex > 0 && prevTerm === 0 && prevIndex < this.log.firstIndex();
    if (!compacted) {
      try {
        ents = this.log.entriesFrom(pr.next, this.cfg.maxSizePerMsg);
      } catch {
        compacted = true;
      }
    }
    if (compacted) {
      const snap = this.log.snapshot();
      if (snap.metadata.index === 0) return false;
      this.send(newMessage({ type: MessageType.Snap, to, snapshot: snap }));
      pr.becomeSnapshot(snap.metadata.index);
      return true;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send(newMessage({ type: MessageType.App, to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.log.committed }));
    pr.sentEntries(ents.length > 0 ? ents[ents.length - 1]!.index : prevIndex, ents.length);
    return true;
  }

  private bcastAppend(): void {
    for (const id of this.prs.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private bcastHeartbeat(ctx: Uint8Array = EMPTY): void {
    for (const [id, pr] of this.prs) {
      if (id === this.id) continue;
      // Never tell a follower to commit beyond what it is known to have.
      this.send(newMessage({ type: MessageType.Heartbeat, to: id, commit: Math.min(pr.match, this.log.committed), context: ctx }));
    }
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case MessageType.Beat:
        this.bcastHeartbeat();
        return;
      case MessageType.CheckQuorum: {
        let active = 0;
        for (const id of this.voters()) {
          const pr = this.prs.get(id)!;
          if (id === this.id || pr.recentActive) active++;
          pr.recentActive = false;
        }
        if (active < this.quorum()) {
          this.logger.warn(`${this.id.toString(16)} stepped down to follower since quorum is not active`);
          this.becomeFollower(this.term, NONE);
        }
        return;
      }
      case MessageType.Prop: {
        if (!this.prs.has(this.id) || this.leadTransferee !== NONE) throw new ErrProposalDropped();
        for (let i = 0; i < m.entries.length; i++) {
          const e = m.entries[i]!;
          if (e.type !== EntryType.ConfChange) continue;
          if (this.pendingConfIndex > this.log.applied) {
            // One configuration change at a time: the later one becomes a no-op.
            m.entries[i] = { term: 0, index: 0, type: EntryType.Normal, data: EMPTY };
          } else {
            this.pendingConfIndex = this.log.lastIndex() + i + 1;
          }
        }
        this.appendEntries(m.entries);
        this.bcastAppend();
        return;
      }
      case MessageType.ReadIndex:
        this.handleReadIndex(m);
        return;
    }
    const pr = this.prs.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case MessageType.AppResp: {
        pr.recentActive = true;
        if (m.reject) {
          if (pr.maybeDecrTo(m.index, m.rejectHint)) {
            if (pr.state === ProgressState.Replicate) pr.becomeProbe();
            this.sendAppend(m.from);
          }
          return;
        }
        const oldPaused = pr.isPaused();
        if (pr.maybeUpdate(m.index)) {
          if (pr.state === ProgressState.Probe) pr.becomeReplicate();
          else if (pr.state === ProgressState.Snapshot && pr.match >= pr.pendingSnapshot) pr.becomeProbe();
          if (this.maybeCommit()) {
            this.releaseReadsBeforeCommit();
            this.bcastAppend();
          } else if (oldPaused) {
            this.sendAppend(m.from);
          }
          // Keep streaming while there is more.
          while (this.sendAppend(m.from, false)) {
            /* until paused or caught up */
          }
          if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
            this.send(newMessage({ type: MessageType.TimeoutNow, to: m.from }));
          }
        }
        return;
      }
      case MessageType.HeartbeatResp: {
        pr.recentActive = true;
        pr.probeSent = false;
        if (pr.match < this.log.lastIndex()) this.sendAppend(m.from);
        if (m.context.length > 0) this.ackRead(m.from, m.context);
        return;
      }
      case MessageType.SnapStatus:
        if (pr.state !== ProgressState.Snapshot) return;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        pr.probeSent = true; // wait for the next heartbeat response before probing again
        return;
      case MessageType.Unreachable:
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        return;
      case MessageType.TransferLeader: {
        if (pr.isLearner) return;
        const target = m.from;
        if (this.leadTransferee === target || target === this.id) return;
        this.leadTransferee = target;
        this.electionElapsed = 0;
        if (pr.match === this.log.lastIndex()) this.send(newMessage({ type: MessageType.TimeoutNow, to: target }));
        else this.sendAppend(target);
        return;
      }
    }
  }

  private handleReadIndex(m: Message): void {
    const ctx = m.entries[0]?.data ?? EMPTY;
    if (this.voters().length === 1) {
      this.answerRead(m.from, this.log.committed, ctx);
      return;
    }
    if (!this.committedEntryInCurrentTerm()) {
      // §6.4: the leader's commit index is only known to be current once it commits in its term.
      this.readsBeforeCommit.push(m);
      return;
    }
    this.pendingReads.push({ index: this.log.committed, from: m.from, ctx, acks: new Set([this.id]) });
    this.bcastHeartbeat(ctx);
  }

  private releaseReadsBeforeCommit(): void {
    if (this.readsBeforeCommit.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const queued = this.readsBeforeCommit;
    this.readsBeforeCommit = [];
    for (const m of queued) this.handleReadIndex(m);
  }

  private ackRead(from: NodeId, ctx: Uint8Array): void {
    const i = this.pendingReads.findIndex((r) => sameBytes(r.ctx, ctx));
    if (i < 0) return;
    const r = this.pendingReads[i]!;
    if (this.prs.get(from)?.isLearner) return;
    r.acks.add(from);
    if (r.acks.size < this.quorum()) return;
    // A quorum confirmed leadership after this read and every read queued before it.
    const done = this.pendingReads.splice(0, i + 1);
    for (const d of done) this.answerRead(d.from, d.index, d.ctx);
  }

  private answerRead(from: NodeId, index: number, ctx: Uint8Array): void {
    if (from === NONE || from === this.id) {
      this.readStates.push({ index, requestCtx: ctx });
    } else {
      this.send(newMessage({ type: MessageType.ReadIndexResp, to: from, index, entries: [{ term: 0, index: 0, type: EntryType.Normal, data: ctx }] }));
    }
  }

  // ---- candidate ----

  private stepCandidate(m: Message): void {
    const myVoteResp = this.state === StateType.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (m.type) {
      case MessageType.Prop:
        throw new ErrProposalDropped();
      case MessageType.App:
        this.becomeFollower(m.term, m.from);
        this.handleAppend(m);
        return;
      case MessageType.Heartbeat:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case myVoteResp: {
        const res = this.poll(m.from, m.type, !m.reject);
        if (res === 'won') {
          if (this.state === StateType.PreCandidate) this.campaign('election');
          else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (res === 'lost') {
          this.becomeFollower(this.term, NONE);
        }
        return;
      }
    }
  }

  // ---- follower ----

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.Prop:
        if (this.lead === NONE) throw new ErrProposalDropped();
        m.to = this.lead;
        this.send(m);
        return;
      case MessageType.App:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        return;
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case MessageType.TransferLeader:
        if (this.lead === NONE) return;
        m.to = this.lead;
        this.send(m);
        return;
      case MessageType.TimeoutNow:
        this.campaign('transfer');
        return;
      case MessageType.ReadIndex:
        if (this.lead === NONE) return;
        m.to = this.lead;
        this.send(m);
        return;
      case MessageType.ReadIndexResp:
        this.readStates.push({ index: m.index, requestCtx: m.entries[0]?.data ?? EMPTY });
        return;
    }
  }

  private handleAppend(m: Message): void {
    if (m.index < this.log.committed) {
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: this.log.committed }));
      return;
    }
    const last = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (last !== undefined) {
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: last }));
    } else {
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: m.index, reject: true, rejectHint: this.log.lastIndex() }));
    }
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    this.send(newMessage({ type: MessageType.HeartbeatResp, to: m.from, context: m.context }));
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    if (!s) return;
    if (s.metadata.index <= this.log.committed) {
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: this.log.committed }));
      return;
    }
    if (this.log.matchTerm(s.metadata.index, s.metadata.term)) {
      this.log.commitTo(s.metadata.index);
    } else {
      this.log.restore(s);
      this.prs = new Map();
      for (const v of s.metadata.confState.voters) this.prs.set(v, new Progress(this.log.lastIndex() + 1, false, this.cfg.maxInflightMsgs));
      for (const l of s.metadata.confState.learners) this.prs.set(l, new Progress(this.log.lastIndex() + 1, true, this.cfg.maxInflightMsgs));
    }
    this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: this.log.lastIndex() }));
  }

  // ---- proposals and membership ----

  propose(data: Uint8Array, type: EntryType = EntryType.Normal): void {
    this.step(newMessage({ type: MessageType.Prop, from: this.id, entries: [{ term: 0, index: 0, type, data }] }));
  }

  applyConfChange(cc: ConfChange): ConfState {
    const last = this.log.lastIndex();
    switch (cc.type) {
      case ConfChangeType.AddNode: {
        const pr = this.prs.get(cc.nodeId);
        if (pr) pr.isLearner = false;
        else this.prs.set(cc.nodeId, Object.assign(new Progress(last + 1, false, this.cfg.maxInflightMsgs), { recentActive: true }));
        break;
      }
      case ConfChangeType.AddLearnerNode:
        if (!this.prs.has(cc.nodeId)) this.prs.set(cc.nodeId, Object.assign(new Progress(last + 1, true, this.cfg.maxInflightMsgs), { recentActive: true }));
        break;
      case ConfChangeType.RemoveNode:
        this.prs.delete(cc.nodeId);
        if (this.leadTransferee === cc.nodeId) this.leadTransferee = NONE;
        break;
      case ConfChangeType.UpdateNode:
        break;
    }
    if (this.state === StateType.Leader && this.prs.size > 0) {
      if (this.maybeCommit()) this.bcastAppend();
    }
    return this.confState();
  }

  /** Bootstraps a brand-new cluster: its initial members as committed conf change entries at term 1. */
  bootstrap(peers: { id: NodeId; context: Uint8Array }[], encode: (cc: ConfChange) => Uint8Array): void {
    if (this.log.lastIndex() !== 0) throw new Error('raft: can only bootstrap an empty log');
    this.becomeFollower(1, NONE);
    const ents: Entry[] = peers.map((p, i) => ({
      term: 1,
      index: i + 1,
      type: EntryType.ConfChange,
      data: encode({ type: ConfChangeType.AddNode, nodeId: p.id, context: p.context, id: 0n }),
    }));
    this.log.append(ents);
    this.log.committed = ents.length;
    for (const e of ents) this.applyConfChange(decodeConfChange(e.data));
  }
}
