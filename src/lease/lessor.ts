// The lessor: every lease of the member, the keys attached to each, and (on the leader
// only) when each expires.
//
// Two kinds of callers, kept apart on purpose:
// - The applier, for committed entries (grant, revoke, checkpoint, and attach/detach as
//   puts and deletes apply). These run on every member in log order and must be
//   deterministic: they never read the clock to decide anything that is persisted.
// - The leader's lease loop (lease-loop.ts), which reads the injected clock to find
//   expired leases and due checkpoints and turns them into raft proposals. A follower's
//   lessor is not "primary": its leases never expire (expiry = +Infinity) and it never
//   proposes anything, so a lease ends on every member at the same log position.
//
// Times: `nowMs`/expiry in milliseconds of the injected clock; TTLs in whole seconds, as
// in the API.

import type { Backend } from '../storage/backend.js';
import { Errors } from '../server/errors.js';
import { decodeLease, encodeLease, leaseBucketKey } from './lease-codec.js';
import { countLeaseRenewed, leaseGranted, leaseRevoked, leaseTtls } from '../metrics/registry.js';

/** etcd's largest grantable TTL, in seconds (lease.MaxLeaseTTL). */
export const MAX_LEASE_TTL_SEC = 9_000_000_000;
/** etcd's default interval between checkpoints of a lease's remaining TTL. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 5 * 60 * 1000;
/** Leases revoked per second at most (etcd's leaseRevokeRate); promotion spreads expiries below it. */
export const LEASE_REVOKE_RATE_PER_SEC = 1000;
/** Most checkpoints carried by one LeaseCheckpoint proposal (etcd's maxLeaseCheckpointBatchSize). */
export const MAX_CHECKPOINT_BATCH = 1000;

export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

/**
 * etcd's minimum lease TTL: one and a half election timeouts, in whole seconds rounded
 * up, so a lease cannot expire during a leader election (with the defaults,
 * 10 ticks x 100 ms: ceil(1.5 s) = 2 s). Election ticks are computed as etcd computes
 * them: election timeout / heartbeat interval, integer division.
 */
export function minLeaseTtlSec(electionMs: number, heartbeatMs: number): number {
  const electionTicks = Math.floor(electionMs / heartbeatMs);
  const minTtlMs = Math.floor((3 * electionTicks) / 2) * heartbeatMs;
  return Math.ceil(minTtlMs / 1000);
}

/** The slice of the backend the lessor persists to; Backend satisfies it. */
export type LeaseBackend = Pick<Backend, 'put' | 'delete' | 'range'>;

/** What a revoke needs from mvcc: one write transaction, so every attached key goes in one revision. */
export interface KeyDeleter {
  deleteRange(key: Buffer, end: Buffer): number;
}

export interface LessorOptions {
  backend: LeaseBackend;
  minTtlSec: number;
  clock?: Clock;
  /** 0 disables checkpointing (etcd's default unless --experimental-enable-lease-checkpoint). */
  checkpointIntervalMs?: number;
  /**
   * Store the checkpointed remaining TTL in the backend, so it also survives a restart
   * (etcd 3.5's --experimental-enable-lease-checkpoint-persist); without it a restarted
   * member starts each lease's full TTL again, as etcd 3.5 does.
   */
  persistRemainingTtl?: boolean;
}

export class Lease {
  /** Attached keys by their bytes read as latin1 (a lossless string form of a Buffer). */
  readonly keys = new Map<string, Buffer>();
  /** Milliseconds of the clock; +Infinity while the lessor is not primary. */
  expiryMs = Number.POSITIVE_INFINITY;

  constructor(
    readonly id: bigint,
    /** Granted TTL in seconds, after the minimum was applied. */
    readonly ttlSec: number,
    /** Remaining seconds from the last checkpoint, 0 when none applies. */
    public remainingTtlSec: number,
  ) {}

  /** Sets the expiry from now: the checkpointed remaining TTL if any, else the full TTL, plus `extendMs`. */
  refresh(nowMs: number, extendMs: number): void {
    const sec = this.remainingTtlSec > 0 ? this.remainingTtlSec : this.ttlSec;
    this.expiryMs = nowMs + extendMs + sec * 1000;
  }

  /** Whole seconds left, as etcd truncates them (TimeToLive). */
  remainingSec(nowMs: number): number {
    if (this.expiryMs === Number.POSITIVE_INFINITY) return this.ttlSec;
    return Math.max(0, Math.trunc((this.expiryMs - nowMs) / 1000));
  }

  sortedKeys(): Buffer[] {
    return [...this.keys.values()].sort(Buffer.compare);
  }
}

export interface LeaseCheckpointEntry {
  ID: bigint;
  remainingTTL: bigint;
}

export class Lessor {
  private readonly leases = new Map<bigint, Lease>();
  private primary = false;
  readonly minTtlSec: number;
  readonly clock: Clock;
  readonly checkpointIntervalMs: number;
  /** Leader only: when each lease's next checkpoint is due (ms of the clock). */
  private readonly checkpointDue = new Map<bigint, number>();
  private attachedCount = 0;

  constructor(private readonly opts: LessorOptions) {
    this.minTtlSec = opts.minTtlSec;
    this.clock = opts.clock ?? systemClock;
    this.checkpointIntervalMs = opts.checkpointIntervalMs ?? 0;
  }

  /**
   * Forgets every lease (the backend was replaced by a raft snapshot's db); restore()
   * and the key attachments follow. Only followers install snapshots, so nothing is
   * counting down here.
   */
  reset(): void {
    this.leases.clear();
    this.checkpointDue.clear();
    this.attachedCount = 0;
  }

  /** Loads the persisted leases; the caller then re-attaches keys from mvcc (`attach`). */
  restore(): void {
    for (const { value } of this.opts.backend.range('lease', Buffer.alloc(0))) {
      const s = decodeLease(value);
      this.leases.set(s.id, new Lease(s.id, s.ttlSec, s.remainingTtlSec));
    }
  }

  isPrimary(): boolean {
    return this.primary;
  }

  // ---- applied through raft (deterministic) ----

  grant(id: bigint, ttlSec: number): Lease {
    if (ttlSec > MAX_LEASE_TTL_SEC) throw Errors.LeaseTTLTooLarge;
    if (this.leases.has(id)) throw Errors.LeaseExist;
    const l = new Lease(id, Math.max(ttlSec, this.minTtlSec), 0);
    if (this.primary) {
      l.refresh(this.clock.nowMs(), 0);
      this.scheduleCheckpoint(l);
    }
    this.leases.set(id, l);
    this.persist(l);
    leaseGranted.inc();
    leaseTtls.observe(l.ttlSec);
    return l;
  }

  /** Deletes the lease and every key attached to it through `txn` (one revision), then the lease itself. */
  revoke(id: bigint, txn: KeyDeleter): void {
    const l = this.leases.get(id);
    if (!l) throw Errors.LeaseNotFound;
    // Sorted, so every member deletes in the same order (the revision's sub-revisions match).
    for (const key of l.sortedKeys()) txn.deleteRange(key, Buffer.alloc(0));
    this.attachedCount -= l.keys.size;
    this.leases.delete(id);
    this.checkpointDue.delete(id);
    this.opts.backend.delete('lease', leaseBucketKey(id));
    leaseRevoked.inc();
  }

  /** Applies a checkpoint: the lease's remaining TTL as the leader measured it. */
  checkpoint(id: bigint, remainingTtlSec: number): void {
    const l = this.leases.get(id);
    if (!l) return;
    l.remainingTtlSec = remainingTtlSec;
    this.persist(l);
    if (this.primary && remainingTtlSec > 0) l.refresh(this.clock.nowMs(), 0);
  }

  has(id: bigint): boolean {
    return this.leases.has(id);
  }

  /** A put attached `key` to `id` (0 = none), replacing `prev` (0 = none). */
  attach(id: bigint, prev: bigint, key: Buffer): void {
    if (prev === id) return;
    if (prev !== 0n) this.detach(prev, key);
    const l = this.leases.get(id);
    if (!l) return;
    const k = key.toString('latin1');
    if (!l.keys.has(k)) {
      l.keys.set(k, Buffer.from(key));
      this.attachedCount++;
    }
  }

  detach(id: bigint, key: Buffer): void {
    const l = this.leases.get(id);
    if (l?.keys.delete(key.toString('latin1'))) this.attachedCount--;
  }

  /** Keys attached to any lease; deletes need not look for attachments when it is 0. */
  attachedKeyCount(): number {
    return this.attachedCount;
  }

  // ---- leader side (reads the clock) ----

  lookup(id: bigint): Lease | undefined {
    return this.leases.get(id);
  }

  /** Every lease, soonest expiry first (etcd's order for LeaseLeases), ties by id. */
  list(): Lease[] {
    return [...this.leases.values()].sort((a, b) => a.expiryMs - b.expiryMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * A keep-alive: the lease's full TTL starts again. Only the primary renews; an
   * expired lease (waiting for its revoke to commit) is not found, as in etcd.
   * Returns the granted TTL and, when a checkpointed remaining TTL must be cleared
   * through raft, that checkpoint.
   */
  renew(id: bigint): { ttlSec: number; clear?: LeaseCheckpointEntry } {
    if (!this.primary) throw Errors.NotLeader;
    const l = this.leases.get(id);
    if (!l) throw Errors.LeaseNotFound;
    const now = this.clock.nowMs();
    if (l.expiryMs <= now) throw Errors.LeaseNotFound;
    const hadRemaining = l.remainingTtlSec > 0;
    l.remainingTtlSec = 0;
    l.refresh(now, 0);
    this.scheduleCheckpoint(l);
    countLeaseRenewed();
    return hadRemaining && this.checkpointIntervalMs > 0 ? { ttlSec: l.ttlSec, clear: { ID: id, remainingTTL: 0n } } : { ttlSec: l.ttlSec };
  }

  /**
   * Becoming leader: every lease starts counting from now, extended by `extendMs`
   * (etcd passes the election timeout), so a lease is never revoked merely because
   * leadership moved while its holder was renewing against the old leader.
   */
  promote(extendMs: number): void {
    this.primary = true;
    const now = this.clock.nowMs();
    for (const l of this.leases.values()) {
      l.refresh(now, extendMs);
      this.scheduleCheckpoint(l);
    }
    this.spreadExpiries(now, extendMs);
  }

  /**
   * After a promotion many leases can end in the same second (all restarted their TTL at
   * once). Like etcd, push the excess later so that at most three quarters of the revoke
   * rate expire in any one-second window, leaving room for leases expiring normally.
   * Worked example (rate 1000, target 750/s): 2000 leases all with 10 s left keep 750 at
   * 10 s; the 751st gets 10 s + 751/750 s, ... the 2000th 10 s + 2000/750 s.
   */
  private spreadExpiries(now: number, extendMs: number): void {
    if (this.leases.size < LEASE_REVOKE_RATE_PER_SEC) return;
    const targetPerSec = (3 * LEASE_REVOKE_RATE_PER_SEC) / 4;
    const sorted = this.list();
    let baseMs = sorted[0]!.expiryMs - now;
    let nextWindowMs = baseMs + 1000;
    let expires = 0;
    for (const l of sorted) {
      const remainingMs = l.expiryMs - now;
      if (remainingMs > nextWindowMs) {
        baseMs = remainingMs;
        nextWindowMs = baseMs + 1000;
        expires = 1;
        continue;
      }
      expires++;
      if (expires <= targetPerSec) continue;
      // A lease already n seconds past the window start needs n seconds less delay.
      const delayMs = (1000 * expires) / targetPerSec - (remainingMs - baseMs);
      nextWindowMs = baseMs + delayMs;
      l.refresh(now, delayMs + extendMs);
      this.scheduleCheckpoint(l);
    }
  }

  /** Losing leadership: nothing expires here any more; the new leader decides. */
  demote(): void {
    this.primary = false;
    for (const l of this.leases.values()) l.expiryMs = Number.POSITIVE_INFINITY;
    this.checkpointDue.clear();
  }

  /** Up to `limit` leases whose expiry has passed, soonest first (leader only). */
  expired(limit: number): bigint[] {
    if (!this.primary) return [];
    const now = this.clock.nowMs();
    const out: Lease[] = [];
    for (const l of this.leases.values()) if (l.expiryMs <= now) out.push(l);
    out.sort((a, b) => a.expiryMs - b.expiryMs);
    return out.slice(0, limit).map((l) => l.id);
  }

  /** Checkpoints now due (leader only): each lease's remaining TTL in whole seconds, rounded up. */
  dueCheckpoints(limit = MAX_CHECKPOINT_BATCH): LeaseCheckpointEntry[] {
    if (!this.primary || this.checkpointIntervalMs <= 0) return [];
    const now = this.clock.nowMs();
    const out: LeaseCheckpointEntry[] = [];
    for (const [id, due] of this.checkpointDue) {
      if (out.length >= limit) break;
      if (due > now) continue;
      this.checkpointDue.delete(id);
      const l = this.leases.get(id);
      if (!l || l.expiryMs <= now) continue;
      out.push({ ID: id, remainingTTL: BigInt(Math.ceil((l.expiryMs - now) / 1000)) });
      this.scheduleCheckpoint(l);
    }
    return out;
  }

  private scheduleCheckpoint(l: Lease): void {
    // Only leases that outlive an interval need one: shorter ones expire or renew first.
    if (this.checkpointIntervalMs <= 0 || l.ttlSec * 1000 <= this.checkpointIntervalMs) return;
    this.checkpointDue.set(l.id, this.clock.nowMs() + this.checkpointIntervalMs);
  }

  private persist(l: Lease): void {
    const remainingTtlSec = this.opts.persistRemainingTtl ? l.remainingTtlSec : 0;
    this.opts.backend.put('lease', leaseBucketKey(l.id), encodeLease({ id: l.id, ttlSec: l.ttlSec, remainingTtlSec }));
  }
}
