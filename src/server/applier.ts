// Applies committed raft entries to the member's state, in log order, exactly once.
// Deterministic by construction: the outcome depends only on the entry and the state
// before it, so every member computes the same revisions and responses.

import type {
  AlarmResponse,
  CompactionResponse,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from '../gen/etcdserverpb/rpc.js';
import { InternalRaftRequest } from '../gen/etcdserverpb/raft_internal.js';
import type { ConfChange, Entry } from '../raft/types.js';
import { EntryType } from '../raft/types.js';
import { decodeConfChange } from '../raft/confchange-codec.js';
import { EtcdError, Errors } from './errors.js';
import { ErrCompacted, ErrFutureRev } from '../mvcc/errors.js';
import { applyDeleteRange, applyPut, applyRange, decideTxn, noLeases, revisionHeader, runTxn, type LeaseLookup } from './kv-apply.js';
import type { KvRead, KvWrite } from './kv-view.js';
import type { Membership } from './membership.js';
import type { AuthStore } from '../auth/auth-store.js';
import { applyAuthRequest, checkAtApply, type AuthResponse } from './auth-apply.js';
import type { Lessor } from '../lease/lessor.js';
import { applyLeaseRequest, type LeaseApplyResponse } from './lease-apply.js';
import type { AlarmApply } from './alarm-apply.js';
import { heldRequestFor, peekRequestId, type ProposedRequest } from './proposal-handoff.js';
import { AlarmType } from '../gen/etcdserverpb/rpc.js';

/** The key a compaction reads for its response's revision (any key does; etcd's choice). */
const COMPACTION_PROBE_KEY = Buffer.from('compaction');

/** The store operations the applier needs; the mvcc layer's store satisfies it. */
export interface ApplyStore {
  /** A read transaction over the newest state; `end()` releases it. */
  read(): KvRead & { end(): void };
  /** A write transaction: all its writes share one new revision; `end()` commits it. */
  write(): KvWrite & { end(): void };
  /** Records the applied raft index and term in the same backend batch as the writes before it. */
  setConsistentIndex(index: number, term: number): void;
  /**
   * Moves the consistent index (what consistentIndex() answers) without writing it to the
   * backend: Applier.applyEntries writes only the last one of a batch.
   */
  noteConsistentIndex?(index: number, term: number): void;
  consistentIndex(): number;
  /** Validates synchronously (throws compacted/future errors); resolves when physical compaction is done. */
  compact(rev: number): Promise<void>;
}

export type ApplyResponse = RangeResponse | PutResponse | DeleteRangeResponse | TxnResponse | CompactionResponse | LeaseApplyResponse | AuthResponse | AlarmResponse;

export interface ApplyResult {
  resp?: ApplyResponse;
  err?: EtcdError;
  /** For compaction: resolves when the physical compaction finished (for --physical). */
  physical?: Promise<void>;
}

export interface ApplierEvents {
  /** A proposal with this id was applied. */
  applied(id: bigint, result: ApplyResult): void;
  /**
   * A new conf change entry was decided: raft must be told (with nodeId 0 when refused)
   * and its proposer answered with `err` or success.
   */
  confChange(cc: ConfChange, index: number, err: EtcdError | undefined): void;
  memberPublished(id: bigint, name: string, clientURLs: string[]): void;
  clusterVersionSet(version: string): void;
  /** A leader's empty entry of a new term was applied (the lessor promotes then, as in etcd). */
  noopApplied?(): void;
  /**
   * A request answered "database space exceeded" while no NOSPACE alarm is active: the
   * member raises the alarm, then calls `reply` (etcd answers the client only after the
   * alarm proposal finished).
   */
  noSpace?(reply: () => void): void;
  /**
   * What this member's proposer still holds for request `id` (proposal-handoff.ts):
   * applying it skips decoding the entry when the bytes match.
   */
  proposed?(id: bigint): ProposedRequest | undefined;
}

/**
 * Maps mvcc-layer errors (which carry no "etcdserver: " prefix) to the errors clients
 * see; anything else is a bug and is rethrown.
 */
export function toEtcdError(err: unknown): EtcdError {
  if (err instanceof EtcdError) return err;
  if (err instanceof ErrCompacted) return Errors.Compacted;
  if (err instanceof ErrFutureRev) return Errors.FutureRev;
  throw err;
}

export class Applier {
  constructor(
    private readonly store: ApplyStore,
    private readonly membership: Membership,
    private readonly events: ApplierEvents,
    private readonly leases: LeaseLookup = noLeases,
    private readonly lessor?: Lessor,
    /** Absent in tests that run without auth: then nothing is checked. */
    private readonly auth?: AuthStore,
    /** Alarms and quota; absent in tests that need none (then nothing is capped). */
    private readonly alarms?: AlarmApply,
  ) {}

  /**
   * Applies one committed entry. Entries at or below the backend's consistent index
   * were applied before a restart and are skipped entirely: the backend's membership
   * already reflects their conf changes, and the member seeds raft's configuration from
   * it at start (see EtcdServer), so replaying them could only disagree with it.
   */
  applyEntry(entry: Entry): void {
    this.applyOne(entry, false);
  }

  /**
   * Applies committed entries in order and records the consistent index once, for the last
   * one applied, instead of once per entry (two backend writes each). That is as durable:
   * the batch runs without yielding, and the backend commits only from a later event-loop
   * task (storage/backend.ts), so the writes of every entry and the index after them reach
   * the file in the same LMDB transaction either way.
   */
  applyEntries(entries: readonly Entry[]): void {
    let last: Entry | undefined;
    try {
      for (const e of entries) if (this.applyOne(e, true)) last = e;
    } finally {
      // Also when an entry threw: the entries before it were applied and must not be replayed.
      if (last) this.store.setConsistentIndex(last.index, last.term);
    }
  }

  /**
   * Applies one entry; false when it was applied before. `batched`: the consistent index
   * only moves in memory, the caller records it in the backend after the batch.
   */
  private applyOne(entry: Entry, batched: boolean): boolean {
    const alreadyApplied = entry.index <= this.store.consistentIndex();
    if (alreadyApplied) return false;
    if (entry.type === EntryType.ConfChange) {
      const cc = decodeConfChange(entry.data);
      const refused = this.membership.validateConfChange(cc);
      if (!refused) this.membership.applyConfChange(cc, true);
      this.markApplied(entry, batched);
      this.events.confChange(refused ? { ...cc, nodeId: 0n } : cc, entry.index, refused);
      if (cc.id !== 0n) this.events.applied(cc.id, refused ? { err: refused } : {});
      return true;
    }
    if (entry.data.length === 0) {
      // The leader's empty entry at the start of its term.
      this.markApplied(entry, batched);
      this.events.noopApplied?.();
      return true;
    }
    const req = this.heldRequest(entry.data) ?? InternalRaftRequest.decode(entry.data);
    const id = req.header?.ID ?? req.ID;
    const result = this.applyWithQuota(req, entry.index);
    this.markApplied(entry, batched);
    if (result.err === Errors.NoSpace && this.events.noSpace && !this.alarms?.alarms.has(AlarmType.NOSPACE)) {
      this.events.noSpace(() => this.events.applied(id, result));
    } else {
      this.events.applied(id, result);
    }
    return true;
  }

  private markApplied(entry: Entry, batched: boolean): void {
    if (batched && this.store.noteConsistentIndex) this.store.noteConsistentIndex(entry.index, entry.term);
    else this.store.setConsistentIndex(entry.index, entry.term);
  }

  /** The proposer's own decoded request when `data` is exactly its encoding (proposal-handoff.ts). */
  private heldRequest(data: Uint8Array): InternalRaftRequest | undefined {
    if (!this.events.proposed) return undefined;
    const id = peekRequestId(data);
    return id === undefined ? undefined : heldRequestFor(data, this.events.proposed(id));
  }

  /** See alarm-apply.ts: CORRUPT refuses changes, NOSPACE refuses growth; a request over the quota applies but fails. */
  private applyWithQuota(req: InternalRaftRequest, index: number): ApplyResult {
    if (!this.alarms) return this.applyRequest(req, index);
    if (req.alarm) return { resp: this.alarms.apply(req.alarm) };
    // etcd stacks the corrupt applier over the capped one: CORRUPT answers first.
    if (this.alarms.corruptRefuses(req)) return { err: Errors.Corrupt };
    if (this.alarms.refuses(req)) return { err: Errors.NoSpace };
    const over = this.alarms.overQuota(req);
    const result = this.applyRequest(req, index);
    return over && !result.err ? { err: Errors.NoSpace } : result;
  }

  private applyRequest(req: InternalRaftRequest, index: number): ApplyResult {
    try {
      if (this.auth) {
        checkAtApply(this.auth, req);
        // A KV write is no auth request: skip the auth response's read and header.
        if (!req.put && !req.txn && !req.deleteRange) {
          const authResp = applyAuthRequest(this.auth, req, index, this.kvRev());
          if (authResp) return { resp: authResp };
        }
      }
      if (req.put) return this.applyPutRequest(req.put);
      if (req.deleteRange) return this.inWrite((t) => applyDeleteRange(t, req.deleteRange!, this.leases));
      if (req.txn) return this.applyTxnRequest(req.txn);
      if (req.range) {
        const t = this.store.read();
        try {
          return { resp: applyRange(t, req.range) };
        } finally {
          t.end();
        }
      }
      if (this.lessor && (req.leaseGrant || req.leaseRevoke || req.leaseCheckpoint)) {
        return { resp: applyLeaseRequest(req, this.lessor, this.store) };
      }
      if (req.compaction) return this.applyCompaction(Number(req.compaction.revision));
      if (req.clusterMemberAttrSet) {
        const a = req.clusterMemberAttrSet;
        const name = a.memberAttributes?.name ?? '';
        const urls = a.memberAttributes?.clientUrls ?? [];
        this.membership.setAttributes(a.memberID, name, urls, true);
        this.events.memberPublished(a.memberID, name, urls);
        return {};
      }
      if (req.clusterVersionSet) {
        this.membership.setVersion(req.clusterVersionSet.ver);
        this.events.clusterVersionSet(req.clusterVersionSet.ver);
        return {};
      }
      return {};
    } catch (err) {
      return { err: toEtcdError(err) };
    }
  }

  /**
   * Runs `fn` in one write transaction. A request that fails validation inside `fn`
   * throws before writing anything (the kv-apply functions check first), and the
   * transaction is still ended so the store is left unchanged and consistent.
   */
  private inWrite(fn: (t: KvWrite) => ApplyResponse): ApplyResult {
    const t = this.store.write();
    try {
      return { resp: fn(t) };
    } finally {
      t.end();
    }
  }

  /**
   * A txn that writes (read-only ones are not proposed): decided in a read transaction,
   * then run in a write one, as etcd does. Nothing comes between the two (both are
   * synchronous), so the write sees the state the compares saw; the split shows only in
   * the etcd_mvcc_* counters, which count per store transaction.
   */
  private applyTxnRequest(txn: TxnRequest): ApplyResult {
    const check = this.store.read();
    let path: boolean[];
    try {
      path = decideTxn(check, txn, this.leases);
    } finally {
      check.end();
    }
    return this.inWrite((t) => runTxn(t, txn, path, this.leases));
  }

  /** inWrite(applyPut) for the commonest request, without a closure per put. */
  private applyPutRequest(put: PutRequest): ApplyResult {
    const t = this.store.write();
    try {
      return { resp: applyPut(t, put, this.leases) };
    } finally {
      t.end();
    }
  }

  private kvRev(): number {
    const t = this.store.read();
    try {
      return t.rev();
    } finally {
      t.end();
    }
  }

  private applyCompaction(rev: number): ApplyResult {
    const physical = this.store.compact(rev);
    const t = this.store.read();
    // etcd learns the header's revision by reading a key, a read its range counter shows;
    // reading one here keeps the counters equal to etcd's.
    let current: number;
    try {
      current = t.range(COMPACTION_PROBE_KEY, Buffer.alloc(0), { limit: 1, countOnly: true }).rev;
    } finally {
      t.end();
    }
    const resp: CompactionResponse = { header: revisionHeader(current) };
    return { resp, physical };
  }
}
