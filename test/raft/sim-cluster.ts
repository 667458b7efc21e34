// A seeded, randomized raft cluster for safety testing. Members are RawNodes over
// MemoryStorage driven exactly as a server drives them (persist, send, apply, advance);
// the network delays, drops, duplicates and reorders messages and can be partitioned;
// members crash (losing everything not persisted, sometimes in the middle of handling a
// Ready) and restart from what they persisted; they compact their logs into snapshots so
// that lagging members are caught up by snapshot; and a sixth member is added as a
// learner, promoted and removed again over time.
//
// After every step `check()` asserts the safety properties of the Raft paper (Figure 3):
// election safety, log matching, leader completeness and state machine safety.

import { RawNode, bootstrap } from '../../src/raft/raw-node.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { decodeConfChange } from '../../src/raft/confchange-codec.js';
import { ErrProposalDropped } from '../../src/raft/errors.js';
import { ConfChangeType, EntryType, MessageType, StateType, type Entry, type Message, type NodeId, type Snapshot } from '../../src/raft/types.js';

export { seeded } from './sim-network.js';

/** Bound on messages in flight in the simulated network; beyond it new ones are dropped. */
export const MAX_IN_FLIGHT_MESSAGES = 10_000;

export interface SimConfig {
  /** Probability that a message is lost. */
  dropRate: number;
  /** Probability that a message is delivered twice. */
  duplicateRate: number;
  /** Messages are delayed by 0..maxDelayRounds delivery rounds (which also reorders them). */
  maxDelayRounds: number;
  /** Per step: probability of a new random partition / of healing it. */
  partitionRate: number;
  healRate: number;
  /** Per step: probability of crashing a member / of restarting a crashed one. */
  crashRate: number;
  restartRate: number;
  /** Per Ready: probability of crashing after persisting, before sending and applying. */
  crashMidReadyRate: number;
  /** Per step and member: probability of compacting the log up to the applied index. */
  compactRate: number;
  /** Per step: probability that the leader proposes the next membership change for member 6. */
  confChangeRate: number;
  /** Per step: probability that the leader gets a client proposal. */
  proposeRate: number;
  /** Members merge consecutive appends and their answers per Ready, as servers do (RaftConfig.coalesceMessages). */
  coalesceMessages?: boolean;
}

export const DEFAULT_SIM_CONFIG: SimConfig = {
  dropRate: 0.05,
  duplicateRate: 0.02,
  maxDelayRounds: 2,
  partitionRate: 0.02,
  healRate: 0.04,
  crashRate: 0.01,
  restartRate: 0.05,
  crashMidReadyRate: 0.005,
  compactRate: 0.01,
  confChangeRate: 0.01,
  proposeRate: 0.5,
};

/** Many more faults: for a share of the seeds, and for bug hunts with RAFT_SIM_SEEDS. */
export const HARSH_SIM_CONFIG: SimConfig = {
  ...DEFAULT_SIM_CONFIG,
  dropRate: 0.2,
  duplicateRate: 0.05,
  maxDelayRounds: 5,
  partitionRate: 0.05,
  crashRate: 0.03,
  crashMidReadyRate: 0.02,
  compactRate: 0.05,
  confChangeRate: 0.03,
};

interface InFlight {
  m: Message;
  /** Delivery round at which it arrives. */
  at: number;
}

export interface SimMember {
  id: NodeId;
  node: RawNode;
  storage: MemoryStorage;
  /** The state machine: the signature of every applied entry, index i at [i - 1]. */
  applied: string[];
  up: boolean;
}

const utf8 = new TextDecoder();
/** Entries are immutable once created and shared by reference: their signatures are memoized. */
const sigCache = new WeakMap<Entry, string>();

/** A stable signature of an entry's identity and content. */
export function entrySig(e: Entry): string {
  let sig = sigCache.get(e);
  if (sig === undefined) {
    sig = `${e.index}:${e.term}:${e.type}:${utf8.decode(e.data)}`;
    sigCache.set(e, sig);
  }
  return sig;
}

const VOTERS: NodeId[] = [1n, 2n, 3n, 4n, 5n];
/** The member whose membership changes during the run. */
const EXTRA: NodeId = 6n;

export class SimCluster {
  readonly members = new Map<NodeId, SimMember>();
  private net: InFlight[] = [];
  private round = 0;
  /** Partition groups; empty = fully connected. */
  private groups: NodeId[][] = [];
  /** term -> the member that led it (election safety). */
  private readonly leaders = new Map<number, NodeId>();
  /**
   * index -> the entry committed there as first observed (it must never change), its
   * term, and an upper bound of the term in which it was committed: the observing
   * leader's term, or a follower's current term (it learned the commit from a leader of
   * a term no higher than its own).
   */
  private readonly committed = new Map<number, { sig: string; entryTerm: number; commitTerm: number }>();
  /** Per RawNode incarnation: committed entries up to here were checked against `committed`. */
  private readonly verified = new WeakMap<RawNode, number>();
  /** Per member: applied entries up to here were checked against `committed`. */
  private readonly appliedVerified = new Map<NodeId, string[]>();
  private readonly appliedCount = new Map<NodeId, number>();
  private readonly leaderVerified = new WeakMap<RawNode, { term: number; upTo: number }>();
  private maxCommitted = 0;
  proposals = 0;
  /** What happened, so a test can tell that the faults and features were exercised. */
  readonly stats = { crashes: 0, restarts: 0, snapshotsApplied: 0, confChangesApplied: 0, leaderTerms: 0, compactions: 0 };
  /** Where member 6's membership is: 0 absent, 1 learner, 2 voter (then removed: 0). */
  private extraStage = 0;

  constructor(
    private readonly rand: () => number,
    private cfg: SimConfig = DEFAULT_SIM_CONFIG,
  ) {
    for (const id of [...VOTERS, EXTRA]) {
      const storage = new MemoryStorage();
      const peers = VOTERS.map((p) => ({ id: p, context: new Uint8Array() }));
      // Both bootstrap paths must yield the same log: odd members bootstrap their storage,
      // even members bootstrap through the RawNode (entries come out in the first Ready).
      if (id !== EXTRA && id % 2n === 1n) bootstrap(storage, peers);
      const node = this.makeNode(id, storage, 0);
      if (id !== EXTRA && id % 2n === 0n) node.bootstrap(peers);
      this.members.set(id, { id, node, storage, applied: [], up: true });
    }
  }

  private makeNode(id: NodeId, storage: MemoryStorage, applied: number): RawNode {
    return new RawNode({
      id,
      electionTick: 10,
      heartbeatTick: 2,
      storage,
      applied,
      maxSizePerMsg: 256,
      maxInflightMsgs: 4,
      maxUncommittedEntriesSize: 4096,
      checkQuorum: true,
      preVote: true,
      random: this.rand,
      coalesceMessages: this.cfg.coalesceMessages === true,
    });
  }

  private chance(p: number): boolean {
    return this.rand() < p;
  }

  private pick<T>(xs: T[]): T {
    return xs[Math.floor(this.rand() * xs.length)]!;
  }

  leader(): SimMember | undefined {
    let best: SimMember | undefined;
    for (const m of this.members.values()) {
      if (m.up && m.node.raft.state === StateType.Leader && (!best || m.node.raft.term > best.node.raft.term)) best = m;
    }
    return best;
  }

  /** One simulated step: random faults, a tick everywhere, then a few delivery rounds. */
  step(): void {
    this.injectFaults();
    const leader = this.leader();
    if (leader && this.chance(this.cfg.proposeRate)) this.propose(leader, `p${this.proposals++}`);
    if (leader && this.chance(this.cfg.confChangeRate)) this.changeMembership(leader);
    for (const m of this.members.values()) if (m.up) m.node.tick();
    for (let i = 0; i < 3; i++) {
      this.processReadies();
      this.deliver();
      this.check();
    }
  }

  private injectFaults(): void {
    if (this.chance(this.cfg.partitionRate)) {
      const a: NodeId[] = [];
      const b: NodeId[] = [];
      for (const id of this.members.keys()) (this.chance(0.5) ? a : b).push(id);
      this.groups = [a, b];
    } else if (this.chance(this.cfg.healRate)) {
      this.groups = [];
    }
    if (this.chance(this.cfg.crashRate)) {
      const up = [...this.members.values()].filter((m) => m.up);
      if (up.length > 0) this.crash(this.pick(up));
    }
    if (this.chance(this.cfg.restartRate)) {
      const down = [...this.members.values()].filter((m) => !m.up);
      if (down.length > 0) this.restart(this.pick(down));
    }
    for (const m of this.members.values()) {
      if (m.up && this.chance(this.cfg.compactRate)) this.compact(m);
    }
  }

  propose(m: SimMember, data: string): void {
    try {
      m.node.propose(new TextEncoder().encode(data));
    } catch (err) {
      if (!(err instanceof ErrProposalDropped)) throw err;
    }
  }

  private changeMembership(leader: SimMember): void {
    const type = [ConfChangeType.AddLearnerNode, ConfChangeType.AddNode, ConfChangeType.RemoveNode][this.extraStage]!;
    try {
      leader.node.proposeConfChange({ type, nodeId: EXTRA, context: new Uint8Array(), id: BigInt(this.proposals++) });
    } catch (err) {
      if (!(err instanceof ErrProposalDropped)) throw err;
      return;
    }
    // The proposal may be lost or ignored; the next attempt retries the same stage
    // unless this one gets applied somewhere (observed in apply()).
  }

  private processReadies(): void {
    for (const m of this.members.values()) {
      if (!m.up || !m.node.hasReady()) continue;
      const rd = m.node.ready();
      // Persist.
      if (rd.snapshot) m.storage.applySnapshot(rd.snapshot);
      if (rd.hardState) m.storage.setHardState(rd.hardState);
      m.storage.append(rd.entries);
      if (this.chance(this.cfg.crashMidReadyRate)) {
        this.crash(m);
        continue;
      }
      // Send.
      for (const msg of rd.messages) this.send(msg);
      // Apply.
      if (rd.snapshot) {
        m.applied = decodeApplied(rd.snapshot);
        this.stats.snapshotsApplied++;
      }
      for (const e of rd.committedEntries) this.apply(m, e);
      m.node.advance();
    }
  }

  private apply(m: SimMember, e: Entry): void {
    if (e.index !== m.applied.length + 1) throw new Error(`member ${m.id} applies ${e.index} after ${m.applied.length}`);
    m.applied.push(entrySig(e));
    if (e.type !== EntryType.ConfChange) return;
    const cc = decodeConfChange(e.data);
    m.node.applyConfChange(cc);
    this.stats.confChangesApplied++;
    if (cc.nodeId === EXTRA) {
      const next = cc.type === ConfChangeType.AddLearnerNode ? 1 : cc.type === ConfChangeType.AddNode ? 2 : 0;
      this.extraStage = next;
    }
  }

  private send(msg: Message): void {
    if (this.net.length >= MAX_IN_FLIGHT_MESSAGES) return;
    // Snapshots are streamed by the transport, which reports the outcome (deliver()).
    if (msg.type !== MessageType.Snap && this.chance(this.cfg.dropRate)) return;
    const delay = () => this.round + Math.floor(this.rand() * (this.cfg.maxDelayRounds + 1));
    this.net.push({ m: msg, at: delay() });
    if (this.chance(this.cfg.duplicateRate)) this.net.push({ m: msg, at: delay() });
  }

  private connected(a: NodeId, b: NodeId): boolean {
    if (this.groups.length === 0) return true;
    return this.groups.some((g) => g.includes(a) && g.includes(b));
  }

  private deliver(): void {
    const due = this.net.filter((f) => f.at <= this.round);
    this.net = this.net.filter((f) => f.at > this.round);
    this.round++;
    for (const { m } of due) {
      const to = this.members.get(m.to);
      const ok = to !== undefined && to.up && this.connected(m.from, m.to) && !(m.type === MessageType.Snap && this.chance(this.cfg.dropRate));
      if (ok) to.node.step(m);
      // Like a real transport, report how sending a snapshot went; without it the leader
      // would wait in StateSnapshot for an acknowledgement that never comes.
      const from = this.members.get(m.from);
      if (m.type === MessageType.Snap && from?.up) from.node.reportSnapshot(m.to, ok);
    }
  }

  crash(m: SimMember): void {
    m.up = false;
    this.stats.crashes++;
  }

  /** Restarts a member from exactly what it persisted; its state machine restarts from the snapshot. */
  restart(m: SimMember): void {
    const old = m.storage;
    const storage = new MemoryStorage();
    const snap = old.snapshot();
    if (snap.metadata.index > 0) storage.applySnapshot(snap);
    storage.setHardState(old.initialState().hardState);
    if (old.lastIndex() >= old.firstIndex()) storage.append(old.entries(old.firstIndex(), old.lastIndex() + 1, Number.MAX_SAFE_INTEGER));
    m.storage = storage;
    m.node = this.makeNode(m.id, storage, snap.metadata.index);
    m.applied = decodeApplied(snap);
    m.up = true;
    this.stats.restarts++;
  }

  /** Snapshots the applied state and drops the log before it (keeping a few entries). */
  private compact(m: SimMember): void {
    const at = m.applied.length - 2;
    if (at <= m.storage.snapshot().metadata.index || at > m.storage.lastIndex()) return;
    const data = new TextEncoder().encode(JSON.stringify(m.applied.slice(0, at)));
    // The configuration as of `at`: conf changes are applied in order, so replay them.
    const voters = new Set<NodeId>(m.storage.snapshot().metadata.confState.voters);
    const learners = new Set<NodeId>(m.storage.snapshot().metadata.confState.learners);
    const from = m.storage.snapshot().metadata.index + 1;
    for (const e of m.storage.entries(from, at + 1, Number.MAX_SAFE_INTEGER)) {
      if (e.type !== EntryType.ConfChange) continue;
      const cc = decodeConfChange(e.data);
      if (cc.type === ConfChangeType.AddNode) {
        learners.delete(cc.nodeId);
        voters.add(cc.nodeId);
      } else if (cc.type === ConfChangeType.AddLearnerNode) {
        voters.delete(cc.nodeId);
        learners.add(cc.nodeId);
      } else if (cc.type === ConfChangeType.RemoveNode) {
        voters.delete(cc.nodeId);
        learners.delete(cc.nodeId);
      }
    }
    m.storage.createSnapshot(at, { voters: [...voters], learners: [...learners] }, data);
    m.storage.compact(at);
    this.stats.compactions++;
  }

  /**
   * Ends the faults for the liveness phase: heals the network, restarts everyone, and
   * from now on nothing is lost, partitioned or crashed (delays and reordering remain).
   */
  healAll(): void {
    this.cfg = { ...this.cfg, dropRate: 0, duplicateRate: 0, partitionRate: 0, crashRate: 0, crashMidReadyRate: 0 };
    this.groups = [];
    for (const m of this.members.values()) if (!m.up) this.restart(m);
  }

  /** The safety properties; throws on the first violation. */
  check(): void {
    const live = [...this.members.values()];
    // Election safety (§5.2): at most one leader per term, ever.
    for (const m of live) {
      const r = m.node.raft;
      if (!m.up || r.state !== StateType.Leader) continue;
      const prev = this.leaders.get(r.term);
      if (prev !== undefined && prev !== m.id) throw new Error(`election safety: ${prev} and ${m.id} both lead term ${r.term}`);
      if (prev === undefined) this.stats.leaderTerms++;
      this.leaders.set(r.term, m.id);
    }
    // Record committed entries, leaders first (they commit before anyone else learns of
    // it); a committed index never changes content (§5.4.3).
    const byRole = [...live].sort((x, y) => Number(y.node.raft.state === StateType.Leader) - Number(x.node.raft.state === StateType.Leader));
    for (const m of byRole) {
      const log = m.node.raft.log;
      const lo = Math.max(log.firstIndex(), 1);
      for (let i = log.committed; i >= lo; i--) {
        if (this.committed.has(i)) break;
        const e = log.slice(i, i + 1, Number.MAX_SAFE_INTEGER)[0]!;
        this.committed.set(i, { sig: entrySig(e), entryTerm: e.term, commitTerm: m.node.raft.term });
        this.maxCommitted = Math.max(this.maxCommitted, i);
      }
      // Each RawNode incarnation is verified from its first index once, then incrementally.
      const from = Math.max(lo, (this.verified.get(m.node) ?? 0) + 1);
      if (from <= log.committed) {
        const ents = log.slice(from, log.committed + 1, Number.MAX_SAFE_INTEGER);
        for (const e of ents) {
          const c = this.committed.get(e.index);
          if (c !== undefined && entrySig(e) !== c.sig) throw new Error(`committed entry ${e.index} differs on ${m.id}: ${entrySig(e)} vs ${c.sig}`);
        }
        this.verified.set(m.node, log.committed);
      }
    }
    // Leader completeness (§5.4): the leader of any later term holds every committed entry.
    for (const m of live) {
      const r = m.node.raft;
      if (!m.up || r.state !== StateType.Leader) continue;
      // Incremental per leader incarnation and term: earlier indexes were checked already
      // (a leader never truncates its own log).
      const done = this.leaderVerified.get(m.node);
      const start = Math.max(r.log.firstIndex(), done && done.term === r.term ? done.upTo + 1 : 0);
      for (let i = start; i <= this.maxCommitted; i++) {
        const c = this.committed.get(i);
        if (c === undefined || r.term <= c.commitTerm) continue;
        if (r.log.termOrZero(i) !== c.entryTerm) {
          throw new Error(`leader completeness: leader ${m.id} (term ${r.term}) lacks entry ${i} of term ${c.entryTerm} committed by term ${c.commitTerm}`);
        }
      }
      this.leaderVerified.set(m.node, { term: r.term, upTo: this.maxCommitted });
    }
    // Log matching (§5.3): same index and term => identical prefixes.
    const logs = live.map((m) => {
      const log = m.node.raft.log;
      return { id: m.id, first: log.firstIndex(), ents: log.slice(log.firstIndex(), log.lastIndex() + 1, Number.MAX_SAFE_INTEGER) };
    });
    for (let a = 0; a < logs.length; a++) {
      for (let b = a + 1; b < logs.length; b++) checkLogMatching(logs[a]!, logs[b]!);
    }
    // State machine safety (§5.4.3): no two members apply different entries at an index.
    for (const m of live) {
      // The applied array is replaced on restart or snapshot; re-verify it then.
      const start = this.appliedVerified.get(m.id) === m.applied ? this.appliedCount.get(m.id) ?? 0 : 0;
      this.appliedVerified.set(m.id, m.applied);
      this.appliedCount.set(m.id, m.applied.length);
      for (let i = start; i < m.applied.length; i++) {
        const c = this.committed.get(i + 1);
        if (c !== undefined && c.sig !== m.applied[i]) throw new Error(`state machine safety: ${m.id} applied ${m.applied[i]} at ${i + 1}, committed was ${c.sig}`);
      }
    }
  }

  /** Stops membership changes, so a last removal of the leader cannot end the run leaderless. */
  stopMembershipChanges(): void {
    this.cfg = { ...this.cfg, confChangeRate: 0 };
  }

  /** Rates saved while quiet. */
  private loud: { proposeRate: number; confChangeRate: number } | undefined;

  /**
   * Quiet: no client proposals and no membership changes, so the leader appends nothing
   * and only heartbeats (and the answers to them) can get a lagging follower going.
   */
  setQuiet(quiet: boolean): void {
    if (quiet && !this.loud) {
      this.loud = { proposeRate: this.cfg.proposeRate, confChangeRate: this.cfg.confChangeRate };
      this.cfg = { ...this.cfg, proposeRate: 0, confChangeRate: 0 };
    } else if (!quiet && this.loud) {
      this.cfg = { ...this.cfg, ...this.loud };
      this.loud = undefined;
    }
  }

  /**
   * The founding voters that are still voters in the leader's configuration but have not
   * committed everything the leader has, described; empty when they all caught up.
   * Member 6 is left out: added after the leader's latest snapshot was taken, it refuses
   * that snapshot (it is not in its configuration, as etcd's raft refuses it) and waits
   * for a newer one, which this cluster takes only at random.
   */
  laggingVoters(): string[] {
    const leader = this.leader();
    if (!leader) return ['no leader'];
    const r = leader.node.raft;
    const out: string[] = [];
    for (const id of r.confState().voters) {
      const m = this.members.get(id)!;
      if (id === EXTRA || id === leader.id || m.node.raft.log.committed === r.log.committed) continue;
      const pr = leader.node.status().progress.get(id);
      out.push(`${id}: commit ${m.node.raft.log.committed} of ${r.log.committed} (term ${m.node.raft.term}, up ${m.up}; leader's view: match ${pr?.match} next ${pr?.next} state ${pr?.state} paused ${pr?.paused})`);
    }
    return out;
  }

  /** Number of committed client proposals (for liveness checks). */
  committedCount(): number {
    return this.committed.size;
  }
}

interface LogView {
  id: NodeId;
  first: number;
  ents: Entry[];
}

function checkLogMatching(a: LogView, b: LogView): void {
  const lo = Math.max(a.first, b.first);
  const hi = Math.min(a.first + a.ents.length, b.first + b.ents.length) - 1;
  // The highest index where both logs hold an entry of the same term.
  let top = 0;
  for (let i = hi; i >= lo; i--) {
    if (a.ents[i - a.first]!.term === b.ents[i - b.first]!.term) {
      top = i;
      break;
    }
  }
  for (let i = lo; i <= top; i++) {
    const ea = a.ents[i - a.first]!;
    const eb = b.ents[i - b.first]!;
    if (ea !== eb && entrySig(ea) !== entrySig(eb)) {
      throw new Error(`log matching: ${a.id} and ${b.id} agree at ${top} but differ at ${i}: ${entrySig(ea)} vs ${entrySig(eb)}`);
    }
  }
}

function decodeApplied(snap: Snapshot): string[] {
  if (snap.metadata.index === 0) return [];
  const applied = JSON.parse(new TextDecoder().decode(snap.data)) as string[];
  if (applied.length !== snap.metadata.index) throw new Error(`snapshot at ${snap.metadata.index} holds ${applied.length} entries`);
  return applied;
}
