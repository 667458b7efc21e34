// A client-side concurrency session, as clientv3's concurrency.Session: a lease granted
// with the session TTL and kept alive in the background. `expired` settles when the lease
// is lost (revoked, expired, keep-alive refused). Ending the session only stops the
// keep-alive: like etcdctl, the lease is left to run out on its own.

import type { Client } from '../client/client.js';

export class ClientSession {
  private stopped = false;
  /** Resolves when the lease is gone while the session still wanted it. */
  readonly expired: Promise<void>;

  private constructor(
    readonly lease: bigint,
    private readonly keepAlive: { stop(): void; done: Promise<void> },
  ) {
    this.expired = keepAlive.done.then(() => (this.stopped ? new Promise<void>(() => undefined) : undefined));
  }

  static async open(client: Client, ttlSec: number, callTimeoutMs?: number): Promise<ClientSession> {
    const granted = await client.leaseGrant(BigInt(ttlSec), 0n, callTimeoutMs === undefined ? undefined : { timeoutMs: callTimeoutMs });
    return new ClientSession(granted.ID, client.leaseKeepAlive(granted.ID));
  }

  close(): void {
    this.stopped = true;
    this.keepAlive.stop();
  }
}
