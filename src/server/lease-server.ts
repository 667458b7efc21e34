// The member's lease API, between the gRPC/gateway layer and the lessor: grant and
// revoke go through raft; keep-alive, time-to-live and list are answered by the leader
// from its lessor (a follower's lessor does not know when leases expire). A follower
// hands keep-alives and time-to-live requests to the leader through `LeaseForwarder`.
//
// Forwarding seam (for the peer transport): etcd serves two endpoints on the peer port,
// `POST /leases` (body: a LeaseKeepAliveRequest in protobuf, answer: a
// LeaseKeepAliveResponse) and `POST /leases/internal` (body: etcdserverpb's
// LeaseInternalRequest wrapping a LeaseTimeToLiveRequest, answer: LeaseInternalResponse
// wrapping the LeaseTimeToLiveResponse); a lease the leader does not know is answered
// with HTTP 404 and etcd's message, which the follower turns back into
// ErrLeaseNotFound. The transport implements `LeaseForwarder` with those two requests
// against the leader's peer URLs, and serves them by calling `keepAlive` and
// `timeToLive` below on the leader.

import type { InternalRaftRequest } from '../gen/etcdserverpb/raft_internal.js';
import type {
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseKeepAliveResponse,
  LeaseLeasesResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
  ResponseHeader,
} from '../gen/etcdserverpb/rpc.js';
import { LeaseLoop } from '../lease/lease-loop.js';
import { MAX_LEASE_TTL_SEC, type Lessor } from '../lease/lessor.js';
import type { ApplyResult } from './applier.js';
import { Errors } from './errors.js';

/** Sends lease requests a follower cannot answer to the leader (implemented by the peer transport). */
export interface LeaseForwarder {
  keepAlive(leader: bigint, id: bigint): Promise<LeaseKeepAliveResponse>;
  timeToLive(leader: bigint, r: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse>;
}

/** What the lease API needs from the member. */
export interface LeaseHost {
  propose(body: Partial<InternalRaftRequest>): Promise<ApplyResult>;
  header(revision: number): ResponseHeader;
  currentRevision(): number;
  isLeader(): boolean;
  leader(): bigint;
  nextId(): bigint;
}

const INT63_MASK = (1n << 63n) - 1n;
/** A new leader's lessor becomes primary once the leader's first entry applies; keep-alives wait this long for it. */
export const PROMOTION_WAIT_MS = 2000;
const PROMOTION_POLL_MS = 20;

export class LeaseServer {
  readonly loop: LeaseLoop;
  /** Set by the peer transport when it exists; without it a follower answers "not leader". */
  forwarder: LeaseForwarder | undefined;

  constructor(
    readonly lessor: Lessor,
    private readonly host: LeaseHost,
  ) {
    this.loop = new LeaseLoop(lessor, {
      revoke: (id) => host.propose({ leaseRevoke: { ID: id } }),
      checkpoint: (checkpoints) => host.propose({ leaseCheckpoint: { checkpoints } }),
    });
  }

  private withHeader<T extends { header?: ResponseHeader | undefined }>(resp: T): T {
    resp.header = this.host.header(Number(resp.header?.revision ?? 0n));
    return resp;
  }

  async grant(r: LeaseGrantRequest): Promise<LeaseGrantResponse> {
    // Checked before proposing, as etcd does; the applier checks again.
    if (r.TTL > BigInt(MAX_LEASE_TTL_SEC)) throw Errors.LeaseTTLTooLarge;
    let ID = r.ID;
    // A generated id is positive: lease ids are int64 on the wire.
    while (ID === 0n) ID = this.host.nextId() & INT63_MASK;
    const res = await this.host.propose({ leaseGrant: { TTL: r.TTL, ID } });
    return this.withHeader(res.resp as LeaseGrantResponse);
  }

  async revoke(r: LeaseRevokeRequest): Promise<LeaseRevokeResponse> {
    const res = await this.host.propose({ leaseRevoke: { ID: r.ID } });
    return this.withHeader(res.resp as LeaseRevokeResponse);
  }

  /** Renews `id` on the leader; throws LeaseNotFound for a lease that is gone (the stream answers TTL 0). */
  async keepAlive(id: bigint): Promise<LeaseKeepAliveResponse> {
    // The answer carries this member's header, as etcd's follower fills it in.
    if (!this.host.isLeader()) return this.ownHeader(await this.forward((leader, f) => f.keepAlive(leader, id)));
    const ttlSec = await this.renewAsLeader(id);
    return { header: this.host.header(this.host.currentRevision()), ID: id, TTL: BigInt(ttlSec) };
  }

  /**
   * keepAlive's TTL in seconds when this member can answer at once (it leads and its lessor
   * is primary, the common case): the keep-alive fast path then answers in the same turn,
   * without a promise. Undefined when the answer must wait (a follower forwards, a new
   * leader waits for promotion): use keepAlive. Throws what keepAlive rejects with.
   */
  renewNow(id: bigint): number | undefined {
    if (!this.lessor.isPrimary() || !this.host.isLeader()) return undefined;
    return this.renewPrimary(id);
  }

  /**
   * Renews `id` on this member's lessor and answers its TTL in seconds; serves both a
   * client's keep-alive on the leader and a follower's forwarded one (POST /leases).
   * Synchronous in the common case so the peer handler answers without a promise.
   */
  renewAsLeader(id: bigint): number | Promise<number> {
    if (this.lessor.isPrimary()) return this.renewPrimary(id);
    return this.waitPrimary().then(() => this.renewPrimary(id));
  }

  /** Just elected: the lessor promotes when this term's first entry applies (etcd's renew answers "not primary" and the server retries the same way). */
  private async waitPrimary(): Promise<void> {
    const deadline = Date.now() + PROMOTION_WAIT_MS;
    while (!this.lessor.isPrimary() && this.host.isLeader() && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, PROMOTION_POLL_MS));
    }
  }

  private renewPrimary(id: bigint): number {
    const { ttlSec, clear } = this.lessor.renew(id);
    // A renewed lease must not come back with an old checkpointed TTL after a leader change.
    if (clear) void this.host.propose({ leaseCheckpoint: { checkpoints: [clear] } }).catch(() => undefined);
    return ttlSec;
  }

  async timeToLive(r: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse> {
    if (!this.host.isLeader()) return this.ownHeader(await this.forward((leader, f) => f.timeToLive(leader, r)));
    const l = this.lessor.lookup(r.ID);
    if (!l) throw Errors.LeaseNotFound;
    return {
      header: this.host.header(this.host.currentRevision()),
      ID: r.ID,
      TTL: BigInt(l.remainingSec(this.lessor.clock.nowMs())),
      grantedTTL: BigInt(l.ttlSec),
      keys: r.keys ? l.sortedKeys() : [],
    };
  }

  /** Every lease this member knows, soonest expiry first; served locally, as etcd does. */
  leases(): LeaseLeasesResponse {
    return {
      header: this.host.header(this.host.currentRevision()),
      leases: this.lessor.list().map((l) => ({ ID: l.id })),
    };
  }

  private ownHeader<T extends { header?: ResponseHeader | undefined }>(resp: T): T {
    resp.header = this.host.header(this.host.currentRevision());
    return resp;
  }

  private forward<T>(fn: (leader: bigint, f: LeaseForwarder) => Promise<T>): Promise<T> {
    const leader = this.host.leader();
    if (leader === 0n) return Promise.reject(Errors.NoLeader);
    if (!this.forwarder) return Promise.reject(Errors.NotLeader);
    return fn(leader, this.forwarder);
  }
}
