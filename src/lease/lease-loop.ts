// The leader's side of leases: every half second, turn expired leases into LeaseRevoke
// proposals and due checkpoints into one LeaseCheckpoint proposal. Expiry is only ever
// decided here, and only through raft, so every member deletes a lease's keys at the
// same log position. On a follower the lessor is not primary and both lists are empty.

import type { LeaseCheckpointEntry, Lessor } from './lessor.js';

/** How often the leader looks for expired leases (etcd: every 500 ms). */
export const LEASE_LOOP_INTERVAL_MS = 500;
/** etcd revokes at most 1000 leases a second; per half-second pass that is 500. */
export const MAX_REVOKES_PER_PASS = 500;
/** A revoke proposal not yet applied is not proposed again for this long (etcd: 3 s). */
export const REVOKE_RETRY_MS = 3000;

export interface LeaseProposer {
  revoke(id: bigint): Promise<unknown>;
  checkpoint(checkpoints: LeaseCheckpointEntry[]): Promise<unknown>;
}

export class LeaseLoop {
  /** Revokes proposed and not yet settled, with when they were proposed (ms of the lessor's clock). */
  private readonly inFlight = new Map<bigint, number>();
  private timer: NodeJS.Timeout | undefined;
  /** Expired leases revoked through raft (etcd's etcd_debugging_server_lease_expired_total). */
  expiredTotal = 0;

  constructor(
    private readonly lessor: Lessor,
    private readonly proposer: LeaseProposer,
  ) {}

  start(intervalMs = LEASE_LOOP_INTERVAL_MS): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.pass(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass; tests call it directly after moving their fake clock. */
  pass(): void {
    const now = this.lessor.clock.nowMs();
    let proposed = 0;
    for (const id of this.lessor.expired(MAX_REVOKES_PER_PASS + this.inFlight.size)) {
      if (proposed >= MAX_REVOKES_PER_PASS) break;
      const since = this.inFlight.get(id);
      if (since !== undefined && now - since < REVOKE_RETRY_MS) continue;
      this.inFlight.set(id, now);
      proposed++;
      this.proposer.revoke(id).then(
        () => {
          this.inFlight.delete(id);
          this.expiredTotal++;
        },
        // Not found: another revoke got there first; anything else is retried after REVOKE_RETRY_MS.
        () => (this.lessor.has(id) ? undefined : this.inFlight.delete(id)),
      );
    }
    const cps = this.lessor.dueCheckpoints();
    if (cps.length > 0) void this.proposer.checkpoint(cps).catch(() => undefined);
  }
}
