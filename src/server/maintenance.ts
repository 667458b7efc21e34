// The member's Maintenance API beyond Status: Hash, HashKV, Defragment and Alarm, and
// the quota check every growing request passes before it is proposed.

import { defragInflight, defragSeconds } from '../metrics/registry.js';
import { AlarmRequest_AlarmAction, AlarmType, type AlarmRequest, type AlarmResponse, type DefragmentResponse, type HashKVResponse, type HashResponse, type ResponseHeader } from '../gen/etcdserverpb/rpc.js';
import type { InternalRaftRequest } from '../gen/etcdserverpb/raft_internal.js';
import type { HashResult } from '../mvcc/types.js';
import { ErrCompacted, ErrFutureRev } from '../mvcc/errors.js';
import { alarmText, type AlarmStore } from './alarm-store.js';
import { quotaRequestOf } from './alarm-apply.js';
import type { ApplyResult } from './applier.js';
import { Errors } from './errors.js';
import type { BackendQuota } from './quota.js';

/** What the member's storage offers maintenance; the mvcc store and backend satisfy it. */
export interface MaintenanceStorage {
  hashByRev(rev: number): Promise<HashResult>;
  /** A hash of the whole backend (see KVStore.hash: ours hashes contents, not the file). */
  hash(): Promise<HashResult>;
  defrag(): Promise<void>;
}

export interface MaintenanceParts {
  alarms: AlarmStore;
  quota: BackendQuota;
  storage: MaintenanceStorage;
}

export interface MaintenanceHost {
  memberId: bigint;
  propose(body: Partial<InternalRaftRequest>): Promise<ApplyResult>;
  header(revision: number): ResponseHeader;
  currentRevision(): number;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

function mvccError(err: unknown): unknown {
  if (err instanceof ErrCompacted) return Errors.Compacted;
  if (err instanceof ErrFutureRev) return Errors.FutureRev;
  return err;
}

export class MemberMaintenance {
  constructor(
    private readonly parts: MaintenanceParts,
    private readonly host: MaintenanceHost,
  ) {}

  get alarms(): AlarmStore {
    return this.parts.alarms;
  }

  /**
   * etcd's gRPC quota check: a request that would not fit raises the NOSPACE alarm,
   * waits for it to apply (whatever its outcome) and fails with "database space exceeded".
   */
  /** True when the quota lets `body` be proposed (checkQuota then resolves at once). */
  quotaAllows(body: Partial<InternalRaftRequest>): boolean {
    const q = quotaRequestOf(body);
    return !q || this.parts.quota.available(q);
  }

  async checkQuota(body: Partial<InternalRaftRequest>): Promise<void> {
    const q = quotaRequestOf(body);
    if (!q || this.parts.quota.available(q)) return;
    await this.raiseNoSpace().catch(() => undefined);
    throw Errors.NoSpace;
  }

  raiseNoSpace(): Promise<ApplyResult> {
    this.host.warn('message exceeded backend quota; raising alarm', {
      'quota-size-bytes': this.parts.quota.limit,
    });
    return this.host.propose({ alarm: { action: AlarmRequest_AlarmAction.ACTIVATE, memberID: this.host.memberId, alarm: AlarmType.NOSPACE } });
  }

  /** The Status errors etcd reports for active alarms. */
  statusErrors(): string[] {
    return this.parts.alarms.get(AlarmType.NONE).map(alarmText);
  }

  /**
   * Alarm: GET, ACTIVATE and DEACTIVATE all go through raft, as in etcd. etcd 3.4
   * answers without a header (its gateway prints just the alarms), and so do we.
   */
  async alarm(r: AlarmRequest): Promise<AlarmResponse> {
    const res = await this.host.propose({ alarm: r });
    const resp = res.resp as AlarmResponse;
    return { header: undefined, alarms: resp.alarms };
  }

  async hashKV(rev: number): Promise<HashKVResponse> {
    const r = await this.parts.storage.hashByRev(rev).catch((err: unknown) => {
      throw mvccError(err);
    });
    // etcd's store starts at compaction revision -1 and reports it until the first compaction.
    const compactRevision = r.compactRevision > 0 ? BigInt(r.compactRevision) : -1n;
    return { header: this.host.header(r.revision), hash: r.hash, compactRevision, hashRevision: 0n };
  }

  async hash(): Promise<HashResponse> {
    const r = await this.parts.storage.hash();
    return { header: this.host.header(r.revision), hash: r.hash };
  }

  async defragment(): Promise<DefragmentResponse> {
    this.host.info('starting defragment');
    const began = performance.now();
    defragInflight.set(1);
    try {
      await this.parts.storage.defrag();
    } catch (err) {
      this.host.warn('failed to defragment', { error: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      defragInflight.set(0);
    }
    defragSeconds.observe((performance.now() - began) / 1000);
    this.host.info('finished defragment');
    // etcd 3.4 answers an empty message (no header).
    return { header: undefined };
  }
}
