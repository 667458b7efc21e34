// The member: turns client requests into raft proposals, drives raft through the WAL,
// applies what commits, and answers with etcd's headers and errors. Knows nothing of
// gRPC or flags; the api layer calls it, embed/ assembles it.

import type { WatchableStore } from '../mvcc/watchable-store.js';
import type { WatchSessionHost } from './watch-session.js';
import * as metrics from '../metrics/registry.js';
import type { ServerMetricsSource } from '../metrics/server-metrics.js';
import {
  AlarmType,
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  ResponseHeader,
  TxnRequest,
  TxnResponse,
} from '../gen/etcdserverpb/rpc.js';
import type { InternalRaftRequest } from '../gen/etcdserverpb/raft_internal.js';
import { AuthErrors } from '../auth/errors.js';
import type { HealthProbes } from '../api/health-check.js';
import type { RawNode } from '../raft/raw-node.js';
import type { MemoryStorage } from '../raft/storage.js';
import { ConfChangeType, MessageType, StateType, type ConfChange, type Entry, type Message, type Snapshot, type SoftState } from '../raft/types.js';
import { ClusterApi, PROMOTE_REFUSALS } from './cluster-api.js';
import { RaftSnapshots, type SnapshotSink } from './raft-snapshots.js';
import { membershipSnapshotData } from './snapshot-source.js';
import { Applier, toEtcdError, type ApplyResult, type ApplyStore } from './applier.js';
import { EtcdError, Errors, GrpcCode } from './errors.js';
import { IdGenerator } from './id-generator.js';
import { applyRange, applyTxn, responseHeader, txnIsWrite } from './kv-apply.js';
import type { Membership } from './membership.js';
import { RaftLoop, type RaftLog } from './raft-loop.js';
import { ReadIndexBatcher } from './read-index.js';
import { ReadTurn } from './read-turn.js';
import { checkDeleteRequest, checkPutRequest, checkRangeRequest, checkTxnRequest } from './request-checks.js';
import { WaitRegistry } from './wait-registry.js';
import { PutWaiter, type PutDone } from './put-waiter.js';
import type { ProposedRequest } from './proposal-handoff.js';
import type { AuthStore } from '../auth/auth-store.js';
import type { AuthInfo } from '../auth/token-provider.js';
import { AuthApi } from './auth-api.js';
import { checkRangeAuth, checkTxnAuth } from './auth-checks.js';
import { AuthGate, type RequestAuth } from './auth-gate.js';
import type { Lessor } from '../lease/lessor.js';
import { LeaseServer } from './lease-server.js';
import type { BackendCopy } from './backend-snapshot.js';
import { MemberMaintenance, type MaintenanceParts } from './maintenance.js';
import { AlarmApply } from './alarm-apply.js';
import { encodeProposal, encodePutProposal } from './proposal-encoding.js';
import { EntryArena } from './entry-arena.js';

/** etcd refuses new proposals when the applier is this far behind the commit index. */
export const MAX_GAP_BETWEEN_APPLY_AND_COMMIT_INDEX = 5000;
/** The cluster version this member runs and proposes. */
export const CLUSTER_VERSION = '3.5.0';
export const SERVER_VERSION = '3.5.17';

export interface ServerLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface EtcdServerOptions {
  memberId: bigint;
  name: string;
  clientURLs: string[];
  heartbeatMs: number;
  electionMs: number;
  maxRequestBytes: number;
  maxTxnOps: number;
  logger: ServerLogger;
  /** Size of the backend file and the part of it in use, for Status. */
  backendSize(): { size: number; inUse: number };
  /** Called once every resource is closed. */
  onClose?: () => Promise<void>;
  /** A consistent copy of the backend for the Snapshot rpc; absent in tests without a backend file. */
  backendCopy?: () => Promise<BackendCopy>;
  /** --bcrypt-cost for password hashes made on this member (default 10). */
  bcryptCost?: number;
  /** --snapshot-count: applied entries between raft snapshots (etcd's default 100000). */
  snapshotCount?: number;
  /** --experimental-snapshot-catchup-entries: entries kept behind each snapshot (etcd's default 5000). */
  snapshotCatchUpEntries?: number;
  /** --strict-reconfig-check (default true): refuse membership changes that risk quorum. */
  strictReconfigCheck?: boolean;
  /** A conf change took effect: the transport must learn the new peers. */
  membersChanged?: () => void;
  /** This member was removed from the cluster; the process should exit once stopped. */
  onRemoved?: () => void;
}

export interface ServerParts {
  node: RawNode;
  storage: MemoryStorage;
  wal: RaftLog;
  store: ApplyStore;
  membership: Membership;
  /** Messages for other members; absent for a single member without a transport yet. */
  send?: (messages: Message[]) => void;
  /** When the link to a peer came up (undefined while down); absent without a transport. */
  activeSince?: (id: bigint) => number | undefined;
  /** Where raft snapshots go (snap dir + WAL); absent in tests that keep the whole log. */
  snapshots?: SnapshotSink;
  /** Hands a learner promotion to the leader's peer URLs (etcd's /members/promote). */
  forwardPromote?: (leaderPeerURLs: string[], id: bigint) => Promise<void>;
  /** Users, roles and permissions; absent (no auth at all) in some tests. */
  auth?: AuthStore;
  /** Watchers over the store; absent in tests that need none. */
  watchable?: WatchableStore;
  /** The member's leases, restored from the backend; absent in tests that need none. */
  lessor?: Lessor;
  /** Alarms, quota, hashes and defrag; absent in tests that need none. */
  maintenance?: MaintenanceParts;
  /**
   * Swaps the backend for a snapshot's received db and rebuilds what is held in memory
   * (snapshot-install.ts); absent in tests that never receive a snapshot.
   */
  installSnapshot?: (snap: Snapshot, appliedBefore: number) => Promise<void>;
}

export interface StatusInfo {
  version: string;
  leader: bigint;
  raftIndex: number;
  raftTerm: number;
  raftAppliedIndex: number;
  dbSize: number;
  dbSizeInUse: number;
  isLearner: boolean;
  errors: string[];
}

function hexId(id: bigint): string {
  return id.toString(16);
}

export class EtcdServer {
  private readonly ids: IdGenerator;
  private readonly waits = new WaitRegistry<ApplyResult, ProposedRequest>();
  private readonly reads: ReadIndexBatcher;
  /** Where serializable reads wait to be answered together (read-turn.ts). */
  private readonly serialReads = new ReadTurn();
  private readonly loop: RaftLoop;
  /** The raft log's payload arena (entry-arena.ts): put proposals are encoded straight into it. */
  private readonly arena = new EntryArena();
  private readonly applier: Applier;
  private applied = 0;
  private lead = 0n;
  private term = 0;
  private stopped = false;
  private versionProposed = false;
  private publishedResolve!: () => void;
  /** Resolves once this member's name and client URLs were published through raft. */
  readonly ready: Promise<void> = new Promise((resolve) => (this.publishedResolve = resolve));
  private readonly requestTimeoutMs: number;
  /** Resolves tokens and checks permissions; Watch and Lease call it too. */
  readonly authGate: AuthGate;
  /** The Auth service's requests. */
  readonly authApi: AuthApi;
  /** The lease API; undefined when the member was assembled without a lessor. */
  readonly leases: LeaseServer | undefined;
  /** Member add/remove/update/promote. */
  readonly cluster: ClusterApi;
  private readonly snapshots: RaftSnapshots | undefined;
  /** Hash, HashKV, Defragment, Alarm and the quota; undefined when assembled without them. */
  readonly maintenance: MemberMaintenance | undefined;

  constructor(
    private readonly opts: EtcdServerOptions,
    private readonly parts: ServerParts,
  ) {
    this.ids = new IdGenerator(opts.memberId, Date.now());
    // etcd's request timeout: 5s plus two election timeouts.
    this.requestTimeoutMs = 5000 + 2 * opts.electionMs;
    this.applied = parts.store.consistentIndex();
    this.authGate = new AuthGate(parts.auth);
    this.authApi = new AuthApi({
      store: parts.auth,
      gate: this.authGate,
      bcryptCost: opts.bcryptCost ?? 10,
      propose: (body, ai) => this.proposeInternal(body, ai),
      withHeader: (resp) => this.withHeader(resp),
    });
    this.snapshots = parts.snapshots
      ? new RaftSnapshots(parts.storage, parts.snapshots, opts.snapshotCount ?? 100_000, opts.logger, opts.snapshotCatchUpEntries)
      : undefined;
    this.cluster = new ClusterApi({
      memberId: opts.memberId,
      membership: parts.membership,
      gate: this.authGate,
      strictReconfigCheck: opts.strictReconfigCheck ?? true,
      proposeConfChange: (cc) => this.proposeConfChange(cc),
      activeSince: (id) => parts.activeSince?.(id),
      leaderProgress: () => {
        const st = parts.node.status();
        return st.raftState === StateType.Leader ? st.progress : undefined;
      },
      forwardPromote: (id) => this.forwardPromote(id),
      now: () => Date.now(),
    });
    const lessor = parts.lessor;
    this.leases = lessor
      ? new LeaseServer(lessor, {
          propose: (body) => this.proposeInternal(body),
          header: (rev) => this.header(rev),
          currentRevision: () => this.currentRevision(),
          isLeader: () => parts.node.basicStatus().raftState === StateType.Leader,
          leader: () => this.lead,
          nextId: () => this.ids.next(),
        })
      : undefined;
    const mp = parts.maintenance;
    this.maintenance = mp
      ? new MemberMaintenance(mp, {
          memberId: opts.memberId,
          propose: (body) => this.proposeInternal(body),
          header: (rev) => this.header(rev),
          currentRevision: () => this.currentRevision(),
          info: (msg, f) => opts.logger.info(msg, f),
          warn: (msg, f) => opts.logger.warn(msg, f),
        })
      : undefined;
    this.applier = new Applier(parts.store, parts.membership, {
      // Promote once the new leader's empty entry applies: everything of earlier terms is applied by then.
      noopApplied: () => {
        if (lessor && parts.node.basicStatus().raftState === StateType.Leader) lessor.promote(opts.electionMs);
      },
      applied: (id, result) => this.waits.trigger(id, result),
      proposed: (id) => this.waits.context(id),
      confChange: (cc) => {
        parts.node.applyConfChange(cc);
        if (cc.nodeId === 0n) return;
        opts.membersChanged?.();
        if (cc.type === ConfChangeType.RemoveNode && cc.nodeId === opts.memberId) {
          this.removedFromCluster();
          return;
        }
        // Raft refuses to campaign with unapplied conf changes; try once this batch is advanced.
        setImmediate(() => this.campaignIfSoleVoter());
      },
      memberPublished: (id, name, urls) => {
        opts.logger.info(`published {Name:${name} ClientURLs:[${urls.join(' ')}]} to cluster ${hexId(parts.membership.clusterId)}`, {
          'local-member-id': hexId(id),
        });
        if (id === opts.memberId) this.publishedResolve();
        this.maybeSetClusterVersion();
      },
      clusterVersionSet: (ver) => {
        const short = ver.split('.').slice(0, 2).join('.');
        opts.logger.info(`enabled capabilities for version ${short}`, { 'cluster-version': short });
      },
      noSpace: (reply) => {
        const m = this.maintenance;
        if (!m) return reply();
        void m.raiseNoSpace().catch(() => undefined).finally(reply);
      },
    }, lessor, lessor, parts.auth, mp ? new AlarmApply(mp.alarms, mp.quota) : undefined);
    this.reads = new ReadIndexBatcher({
      requestReadIndex: (ctx) => {
        parts.node.readIndex(ctx);
        this.loop.kick();
      },
      appliedIndex: () => this.applied,
      newId: () => this.ids.next(),
    });
    // More than the proposal being saved, or any read, waiting: the WAL keeps its fdatasync off the loop.
    parts.wal.setBusyProbe?.(() => this.waits.size > 1 || this.reads.busy);
    this.loop = new RaftLoop(parts.node, parts.storage, parts.wal, {
      send: (msgs) => parts.send?.(msgs),
      apply: (entries) => this.applyEntries(entries),
      readStates: (states) => {
        for (const rs of states) this.reads.onReadState(rs.index, rs.requestCtx);
      },
      softState: (s) => this.onSoftState(s),
      saveSnapshot: async (snap) => {
        await parts.snapshots?.save(snap);
      },
      applySnapshot: (snap) => this.applySnapshot(snap),
      fatal: (err) => {
        opts.logger.error('failed to persist raft state; stopping', { error: err.message });
        void this.stop().finally(() => process.exit(1));
      },
    }, this.arena);
  }

  get memberId(): bigint {
    return this.opts.memberId;
  }

  get clusterId(): bigint {
    return this.parts.membership.clusterId;
  }

  get membership(): Membership {
    return this.parts.membership;
  }

  /** True while this member is a learner (it then serves serializable reads only). */
  isLearner(): boolean {
    return this.parts.membership.get(this.opts.memberId)?.isLearner ?? false;
  }

  leader(): bigint {
    return this.lead;
  }

  /** True while this member's raft node is the leader. */
  isLeader(): boolean {
    return this.parts.node.basicStatus().raftState === StateType.Leader;
  }

  /** etcd's request timeout: 5s plus two election timeouts. */
  get requestTimeout(): number {
    return this.requestTimeoutMs;
  }

  /** Resolves once a linearizable read could be served here now (etcd's linearizableReadNotify). */
  linearizableReadNotify(): Promise<void> {
    return this.reads.wait(this.requestTimeoutMs);
  }

  start(): void {
    this.loop.start(this.opts.heartbeatMs);
    this.leases?.loop.start();
    this.campaignIfSoleVoter();
    void this.publishUntilDone();
  }

  /** A sole voter has nobody to wait for: it campaigns at once instead of after an election timeout. */
  private campaignIfSoleVoter(): void {
    const st = this.parts.node.status();
    if (st.raftState === StateType.Leader || !this.soleVoter()) return;
    // Committed entries (conf changes among them) must be applied first; the apply of a
    // conf change calls back here.
    if (st.commit > st.applied) return;
    this.parts.node.campaign();
    this.loop.kick();
  }

  private soleVoter(): boolean {
    const members = this.parts.membership.list().filter((m) => !m.isLearner);
    return members.length === 1 && members[0]!.id === this.opts.memberId;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.loop.stop();
    this.leases?.loop.stop();
    this.waits.failAll(Errors.Stopped);
    this.reads.failAll(Errors.Stopped);
    await this.opts.onClose?.();
  }

  /** Feeds a raft message from a peer into the core. */
  stepRaft(m: Message): void {
    if (this.stopped) return;
    const node = this.parts.node;
    const ack = m.type === MessageType.AppResp;
    const commit = ack ? node.commitIndex() : 0;
    node.step(m);
    // An acknowledgement that commits entries while no proposal waits to be written: the
    // Ready only applies and answers, so it runs right after this read (see kickNow).
    if (ack && node.commitIndex() > commit && !node.hasUnstableEntries()) this.loop.kickNow();
    else this.loop.kick();
  }

  /** The transport could not reach `id`: raft slows down probing it. */
  reportUnreachable(id: bigint): void {
    if (this.stopped) return;
    this.parts.node.reportUnreachable(id);
  }

  reportSnapshot(id: bigint, ok: boolean): void {
    if (this.stopped) return;
    this.parts.node.reportSnapshot(id, ok);
    this.loop.kick();
  }

  /**
   * This member's removal was applied, or a peer refused us as removed: etcd stops the
   * member and tells the operator the data dir is spent.
   */
  removedFromCluster(): void {
    if (this.stopped) return;
    this.opts.logger.warn('the member has been permanently removed from the cluster');
    this.opts.logger.warn('the data-dir used by this member must be removed');
    // Let the current Ready finish (its advance must run) before tearing down.
    setImmediate(() => {
      void this.stop().finally(() => this.opts.onRemoved?.());
    });
  }

  private readonly leadershipListeners: ((isLeader: boolean) => void)[] = [];

  /** Called with every soft-state change: is this member the leader now (the auto-compactor follows it). */
  onLeadership(fn: (isLeader: boolean) => void): void {
    this.leadershipListeners.push(fn);
  }

  private onSoftState(s: SoftState): void {
    const st = this.parts.node.status();
    for (const fn of this.leadershipListeners) fn(s.raftState === StateType.Leader);
    this.term = st.term;
    if (s.raftState !== StateType.Leader && this.parts.lessor?.isPrimary()) this.parts.lessor.demote();
    if (s.lead !== this.lead) {
      const prev = this.lead;
      this.lead = s.lead;
      if (s.lead !== 0n) metrics.leaderChangesSeen.inc();
      if (s.lead === 0n) {
        this.opts.logger.info(`raft.node: ${hexId(this.opts.memberId)} lost leader ${hexId(prev)} at term ${st.term}`);
      } else {
        this.opts.logger.info(`raft.node: ${hexId(this.opts.memberId)} elected leader ${hexId(s.lead)} at term ${st.term}`);
      }
    }
    this.maybeSetClusterVersion();
  }

  /** The leader sets the cluster version once membership is published, as etcd's leader does. */
  private maybeSetClusterVersion(): void {
    if (this.parts.node.status().raftState !== StateType.Leader || this.parts.membership.version !== '' || this.versionProposed) return;
    // Wait until every member has published its client URLs (at start-up: this one).
    if (this.parts.membership.list().some((m) => m.clientURLs.length === 0)) return;
    this.versionProposed = true;
    void this.proposeInternal({ clusterVersionSet: { ver: CLUSTER_VERSION } }).catch(() => {
      this.versionProposed = false;
    });
  }

  /**
   * Keeps proposing this member's attributes until one proposal is applied. Every
   * start publishes (client URLs may have changed), and the member serves clients only
   * after that, as etcd does.
   */
  private async publishUntilDone(): Promise<void> {
    while (!this.stopped) {
      try {
        // Like raft's blocking propose in etcd: wait for a leader rather than fail.
        if (this.lead === 0n) throw Errors.NoLeader;
        await this.proposeInternal({
          clusterMemberAttrSet: {
            memberID: this.opts.memberId,
            memberAttributes: { name: this.opts.name, clientUrls: this.opts.clientURLs },
          },
        });
        return;
      } catch {
        // No leader yet or the proposal was lost in an election: try again.
        await new Promise((r) => setTimeout(r, this.opts.heartbeatMs));
      }
    }
  }

  private applyEntries(entries: Entry[]): void {
    this.applier.applyEntries(entries);
    if (entries.length > 0) this.applied = entries[entries.length - 1]!.index;
    this.term = this.parts.node.currentTerm();
    this.reads.onApplied(this.applied);
    // The snapshot's input (configuration, membership JSON) is built only when one is due.
    if (this.snapshots?.due(this.applied)) {
      void this.snapshots.maybeSnapshot(this.applied, this.parts.node.status().config, membershipSnapshotData(this.parts.membership.list()));
    }
  }

  /**
   * The leader sent a snapshot (this member was behind its compacted log): its db
   * replaces the backend, and applying continues after its index.
   */
  private async applySnapshot(snap: Snapshot): Promise<void> {
    const install = this.parts.installSnapshot;
    if (!install) throw new Error('received a raft snapshot, but this member cannot install one');
    await install(snap, this.applied);
    this.applied = snap.metadata.index;
    this.snapshots?.installed(snap.metadata.index);
    this.opts.membersChanged?.();
    this.reads.onApplied(this.applied);
  }

  // ---- proposals ----

  /** `encode`: how the request becomes the entry's bytes (put() passes the put encoder, see proposal-encoding.ts). */
  private async proposeInternal(body: Partial<InternalRaftRequest>, ai?: AuthInfo, encode = encodeProposal): Promise<ApplyResult> {
    this.checkCanPropose();
    // Awaited only when the quota refuses: an await per proposal is a promise and a turn.
    const m = this.maintenance;
    if (m && !m.quotaAllows(body)) await m.checkQuota(body);
    const proposed = this.prepareProposal(body, ai, encode);
    const done = this.submit(proposed.req.header!.ID, () => this.parts.node.propose(proposed.data), proposed);
    // try/await rather than done.catch(...): no second promise and closure per proposal.
    let result: ApplyResult;
    try {
      result = await done;
    } catch (err) {
      metrics.proposalsFailed.inc();
      throw err;
    }
    if (result.err) throw result.err;
    return result;
  }

  /** What refuses any proposal before it is built: a stopped member, apply lagging far behind commit. */
  private checkCanPropose(): void {
    if (this.stopped) throw Errors.Stopped;
    if (this.parts.node.commitIndex() - this.applied > MAX_GAP_BETWEEN_APPLY_AND_COMMIT_INDEX) throw Errors.TooManyRequests;
  }

  /** The request with its header (a fresh id, the caller) and its entry bytes, checked against the size limit. */
  private prepareProposal(body: Partial<InternalRaftRequest>, ai: AuthInfo | undefined, encode: (req: InternalRaftRequest) => Uint8Array): ProposedRequest {
    // The body's parts are whole messages (requests as decoded, or built whole here), so
    // only the top level needs defaults (fromPartial's deep copy cost ~30 us a put), and of
    // those only ID: the encoder skips message fields that are undefined, and every reader
    // treats a missing field as the undefined the decoder gives. Spreading all 32 defaults
    // cost ~1 us a proposal.
    const req = { ID: 0n, ...body, header: undefined } as InternalRaftRequest;
    // The applier takes `req` back instead of decoding `data` when it applies these very bytes.
    return { data: this.sealProposal(req, ai, encode), req };
  }

  /**
   * prepareProposal for a request already built with its top-level ID (the put path builds
   * it once, as { ID, put, header }): gives it its header, and answers its entry bytes,
   * checked against the size limit.
   */
  private sealProposal(req: InternalRaftRequest, ai: AuthInfo | undefined, encode: (req: InternalRaftRequest) => Uint8Array): Uint8Array {
    const id = this.ids.next();
    // The caller and the auth revision its token was checked at: apply re-checks with them.
    req.header = ai ? { ID: id, username: ai.username, authRevision: BigInt(ai.revision) } : { ID: id, username: '', authRevision: 0n };
    const data = encode(req);
    if (data.length > this.opts.maxRequestBytes) throw Errors.RequestTooLarge;
    return data;
  }

  /** Proposes a membership change; resolves once applied, rejects with the refusal. */
  private async proposeConfChange(cc: Omit<ConfChange, 'id'>): Promise<void> {
    if (this.stopped) throw Errors.Stopped;
    const id = this.ids.next();
    const result = await this.submit(id, () => this.parts.node.proposeConfChange({ ...cc, id }));
    if (result.err) throw result.err;
  }

  /**
   * Hands a proposal to raft and returns what its apply will answer. Raft refusing it at
   * once (no leader to forward to, a transfer under way) fails the wait immediately.
   */
  private submit(id: bigint, propose: () => void, proposed?: ProposedRequest): Promise<ApplyResult> {
    const done = this.waits.register(id, this.requestTimeoutMs, proposed);
    this.proposeRegistered(id, propose);
    return done;
  }

  /**
   * Hands a proposal whose waiter is registered under `id` to raft; a refusal fails the
   * waiter. `propose` proposes it, or is a normal entry's bytes (the put path: no closure
   * per proposal).
   */
  private proposeRegistered(id: bigint, propose: Uint8Array | (() => void)): void {
    try {
      if (typeof propose === 'function') propose();
      else this.parts.node.propose(propose);
    } catch {
      this.waits.fail(id, this.lead === 0n ? Errors.NoLeader : Errors.LeaderChanged);
    }
    this.loop.kick();
  }

  /** A follower asks the leader to promote, retrying while leadership is settling. */
  private async forwardPromote(id: bigint): Promise<void> {
    const forward = this.parts.forwardPromote;
    if (!forward) throw Errors.NotLeader;
    const deadline = Date.now() + this.requestTimeoutMs;
    for (;;) {
      const leader = this.lead === 0n ? undefined : this.parts.membership.get(this.lead);
      try {
        if (!leader) throw Errors.NoLeader;
        if (leader.id === this.opts.memberId) return await this.cluster.promoteAsLeader(id);
        return await forward(leader.peerURLs, id);
      } catch (err) {
        // The leader's own refusals are final; anything else (no leader, lost link) is retried.
        const final = PROMOTE_REFUSALS.includes(err as EtcdError);
        if (final || Date.now() >= deadline) throw final ? err : Errors.Timeout;
      }
      await new Promise((r) => setTimeout(r, this.opts.heartbeatMs));
    }
  }

  header(revision: number): ResponseHeader {
    return this.headerAt(BigInt(revision));
  }

  private headerAt(revision: bigint): ResponseHeader {
    return responseHeader(this.parts.membership.clusterId, this.opts.memberId, revision, this.termBigint());
  }

  /** The term as the bigint a header carries, converted once per term instead of once per response. */
  private termBigint(): bigint {
    if (this.termAsBigint[0] !== this.term) this.termAsBigint = [this.term, BigInt(this.term)];
    return this.termAsBigint[1];
  }

  private termAsBigint: [number, bigint] = [0, 0n];

  private withHeader<T extends { header?: ResponseHeader | undefined }>(resp: T): T {
    resp.header = this.headerAt(resp.header?.revision ?? 0n);
    return resp;
  }

  // ---- KV ----

  range(r: RangeRequest, ctx?: RequestAuth): Promise<RangeResponse> {
    return this.serveRange(r, ctx, true);
  }

  /**
   * A range as a client's: `counted` false for the member's own probes (/health), which
   * etcd 3.4 answers without a store read, so etcd_mvcc_range_total does not show them.
   */
  private async serveRange(r: RangeRequest, ctx: RequestAuth | undefined, counted: boolean): Promise<RangeResponse> {
    checkRangeRequest(r);
    const ai = await this.authGate.authInfo(ctx);
    if (!r.serializable) await this.reads.wait(this.requestTimeoutMs);
    else await this.serialReads.next();
    if (this.parts.auth) checkRangeAuth(this.parts.auth, ai, r);
    const t = this.parts.store.read();
    try {
      return this.withHeader(applyRange(counted ? t : uncounted(t), r));
    } catch (err) {
      throw toEtcdError(err);
    } finally {
      t.end();
    }
  }

  async put(r: PutRequest, ctx?: RequestAuth): Promise<PutResponse> {
    checkPutRequest(r);
    // Without a token to resolve (auth off, or none sent) the caller is known at once: no
    // await, which costs a promise and a microtask turn per put.
    const ai = this.authGate.resolvesToNobody(ctx) ? undefined : await this.authGate.authInfo(ctx);
    const res = await this.proposeInternal({ put: r }, ai, this.encodePut);
    return this.withHeader(res.resp as PutResponse);
  }

  /**
   * put() answering through `done` (once, with an error or the response) instead of a
   * promise: the gRPC put handler's way in. The common put (no token to resolve, quota
   * not exceeded) goes from apply to `done` directly (put-waiter.ts); any other takes
   * put()'s own path. Same checks, errors, metrics and durability as put().
   */
  putWithCallback(r: PutRequest, ctx: RequestAuth | undefined, done: PutDone): void {
    // The proposal itself, in prepareProposal's shape; the quota looks at its put, and
    // sealProposal fills in the header: one object where a body and its spread copy were two.
    const req = { ID: 0n, put: r, header: undefined } as InternalRaftRequest;
    if (!this.authGate.resolvesToNobody(ctx) || (this.maintenance && !this.maintenance.quotaAllows(req))) {
      this.put(r, ctx).then((res) => done(undefined, res), (err: unknown) => done(err as Error, undefined));
      return;
    }
    let waiter: PutWaiter;
    try {
      checkPutRequest(r);
      this.checkCanPropose();
      waiter = new PutWaiter(this.putHeader, done, this.sealProposal(req, undefined, this.encodePut), req);
    } catch (err) {
      // Refused before it was proposed (checks, size): nothing is waiting for it.
      done(err as Error, undefined);
      return;
    }
    const id = waiter.req.header!.ID;
    this.waits.registerEntry(id, this.requestTimeoutMs, waiter);
    this.proposeRegistered(id, waiter.data);
  }

  /** A put proposal's bytes, encoded into the raft log's arena: the log then keeps them without a copy. */
  private readonly encodePut = (req: InternalRaftRequest): Uint8Array => encodePutProposal(req, this.arenaAlloc);
  private readonly arenaAlloc = (size: number): Buffer => this.arena.alloc(size);

  /**
   * withHeader for put responses, made once for every PutWaiter. The header applyPut made
   * is the put's own (revisionHeader): it is filled in, not replaced by a second object.
   */
  private readonly putHeader = (resp: PutResponse): PutResponse => {
    const h = resp.header;
    if (h === undefined) return this.withHeader(resp);
    h.clusterId = this.parts.membership.clusterId;
    h.memberId = this.opts.memberId;
    h.raftTerm = this.termBigint();
    return resp;
  };

  async deleteRange(r: DeleteRangeRequest, ctx?: RequestAuth): Promise<DeleteRangeResponse> {
    checkDeleteRequest(r);
    const res = await this.proposeInternal({ deleteRange: r }, await this.authGate.authInfo(ctx));
    return this.withHeader(res.resp as DeleteRangeResponse);
  }

  async txn(r: TxnRequest, ctx?: RequestAuth): Promise<TxnResponse> {
    checkTxnRequest(r, this.opts.maxTxnOps);
    const ai = await this.authGate.authInfo(ctx);
    if (!txnIsWrite(r)) {
      // A read-only txn is served like a linearizable range, without a log entry.
      await this.reads.wait(this.requestTimeoutMs);
      if (this.parts.auth) checkTxnAuth(this.parts.auth, ai, r);
      const t = this.parts.store.read();
      try {
        return this.withHeader(applyTxn(readOnly(t), r, { has: () => false }));
      } catch (err) {
        throw toEtcdError(err);
      } finally {
        t.end();
      }
    }
    const res = await this.proposeInternal({ txn: r }, ai);
    return this.withHeader(res.resp as TxnResponse);
  }

  async compact(r: CompactionRequest, ctx?: RequestAuth): Promise<CompactionResponse> {
    // etcd 3.4 checks no permission for compaction; the token must still be valid.
    const res = await this.proposeInternal({ compaction: r }, await this.authGate.authInfo(ctx));
    if (r.physical && res.physical) await res.physical;
    else res.physical?.catch(() => undefined);
    return this.withHeader(res.resp as CompactionResponse);
  }

  /** A compaction the member itself proposes (auto-compaction): no caller, so no auth. */
  async compactInternal(rev: number): Promise<void> {
    const res = await this.proposeInternal({ compaction: { revision: BigInt(rev), physical: false } });
    res.physical?.catch(() => undefined);
  }

  // ---- maintenance ----

  /** A consistent copy of the backend (everything applied so far), for the Snapshot rpc. */
  backendCopy(): Promise<BackendCopy> {
    if (!this.opts.backendCopy) return Promise.reject(new EtcdError(GrpcCode.Unimplemented, 'snapshot is not served by this member'));
    return this.opts.backendCopy();
  }

  status(): StatusInfo {
    const st = this.parts.node.status();
    const db = this.opts.backendSize();
    return {
      version: SERVER_VERSION,
      leader: this.lead,
      raftIndex: st.commit,
      raftTerm: st.term,
      raftAppliedIndex: this.applied,
      dbSize: db.size,
      dbSizeInUse: db.inUse,
      isLearner: this.isLearner(),
      errors: this.statusErrors(),
    };
  }

  /**
   * Hands leadership to `target` and resolves once it leads. Only the leader may be
   * asked; a learner or unknown member is refused (etcd 3.5's rule: 3.4 would wait out
   * the client's deadline for a learner).
   */
  async moveLeader(target: bigint): Promise<void> {
    if (this.parts.node.status().raftState !== StateType.Leader) throw Errors.NotLeader;
    const m = this.parts.membership.get(target);
    if (!m || m.isLearner) throw Errors.BadLeaderTransferee;
    const deadline = Date.now() + this.requestTimeoutMs;
    if (this.lead !== target) {
      this.opts.logger.info('leadership transfer starting', { 'local-member-id': hexId(this.opts.memberId), 'current-leader-member-id': hexId(this.lead), 'transferee-member-id': hexId(target) });
      this.parts.node.transferLeader(target);
      this.loop.kick();
    }
    while (this.lead !== target) {
      if (this.stopped) throw Errors.Stopped;
      if (Date.now() >= deadline) throw Errors.TimeoutLeaderTransfer;
      await new Promise((r) => setTimeout(r, this.opts.heartbeatMs));
    }
  }

  /** The /health probes this member answers (see api/health-check.ts). */
  healthProbes(): HealthProbes {
    return {
      alarms: () => this.maintenance?.alarms.get(AlarmType.NONE).map((a) => a.alarm) ?? [],
      hasLeader: () => this.lead !== 0n,
      read: async (serializable) => {
        try {
          await this.serveRange(RangeRequest.fromPartial({ key: Buffer.from('health'), keysOnly: true, limit: 1n, serializable }), undefined, false);
        } catch (err) {
          // etcd reads as root; with auth on, the anonymous probe's refusal still proves the read path works.
          if (err !== AuthErrors.UserEmpty && err !== AuthErrors.PermissionDenied) throw err;
        }
      },
      warn: (msg, fields) => this.opts.logger.warn(msg, fields),
    };
  }

  /** etcd's Status errors: no leader, then one line per active alarm. */
  private statusErrors(): string[] {
    const errs = this.lead === 0n ? [Errors.NoLeader.message] : [];
    return errs.concat(this.maintenance?.statusErrors() ?? []);
  }

  /** What a client watch stream needs from the member. */
  watchHost(): WatchSessionHost {
    const watchable = this.parts.watchable;
    if (!watchable) throw new EtcdError(GrpcCode.Unimplemented, 'watch is not served by this member');
    return { watchable, header: (rev) => this.header(rev), authGate: this.authGate, maxRequestBytes: this.opts.maxRequestBytes };
  }

  /** What /metrics reads from this member at scrape time. */
  metricsSource(quotaBackendBytes: number, keyCount: () => number, compactRevision: () => number): ServerMetricsSource {
    return {
      memberIdHex: hexId(this.opts.memberId),
      serverVersion: SERVER_VERSION,
      quotaBackendBytes,
      clusterVersion: () => this.parts.membership.version,
      leader: () => this.lead,
      isLeader: () => this.parts.node.status().raftState === StateType.Leader,
      isLearner: () => this.isLearner(),
      committedIndex: () => this.parts.node.status().commit,
      appliedIndex: () => this.applied,
      pendingProposals: () => this.waits.size,
      dbSize: () => this.opts.backendSize(),
      revisions: () => ({ current: this.currentRevision(), compacted: compactRevision() }),
      keyCount,
      authRevision: () => this.parts.auth?.revision ?? 0,
      watchers: () => ({ total: this.parts.watchable?.size ?? 0, unsynced: this.parts.watchable?.unsyncedCount ?? 0 }),
    };
  }

  /** Index of the last raft entry this member applied. */
  appliedIndex(): number {
    return this.applied;
  }

  currentRevision(): number {
    const t = this.parts.store.read();
    try {
      return t.rev();
    } finally {
      t.end();
    }
  }
}


type StoreRead = ApplyStore extends { read(): infer R } ? R : never;

/** A read transaction whose ranges are all peeks: read, but not counted. */
function uncounted(t: StoreRead): import('./kv-view.js').KvRead {
  return { range: (k, e, o) => t.peek(k, e, o), peek: (k, e, o) => t.peek(k, e, o), rev: () => t.rev() };
}

/** Wraps a read transaction as a write view whose writes are impossible (the txn was checked to be read-only). */
function readOnly(t: StoreRead): import('./kv-view.js').KvWrite {
  return {
    range: (k, e, o) => t.range(k, e, o),
    peek: (k, e, o) => t.peek(k, e, o),
    rev: () => t.rev(),
    put: () => {
      throw new Error('write in a read-only txn');
    },
    deleteRange: () => {
      throw new Error('write in a read-only txn');
    },
  };
}
