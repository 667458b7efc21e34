// Lease keep-alive over the LeaseKeepAlive bidirectional stream: one round trip
// (etcdctl lease keep-alive --once) or a loop renewing at a third of the TTL until stopped.

import { status as GrpcStatus, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { LeaseKeepAliveRequest, LeaseService, type LeaseKeepAliveResponse } from '../gen/etcdserverpb/rpc.js';
import type { ClientCore } from './client-core.js';
import { ClientError, fromServiceError } from './errors.js';

/** Wait before reopening a failed keep-alive stream. */
export const KEEPALIVE_RETRY_MS = 500;
/** Never renew more often than this, whatever the TTL (clientv3 also floors at 500 ms). */
export const KEEPALIVE_MIN_INTERVAL_MS = 500;

type Stream = ClientDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>;

/** Sends one keep-alive and resolves with its answer; TTL 0 means the lease no longer exists. */
export function keepAliveOnce(stream: Stream, ID: bigint, endpoint: string): Promise<LeaseKeepAliveResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    stream.on('data', (r: LeaseKeepAliveResponse) => {
      if (settled) return;
      settled = true;
      resolve(r);
      stream.cancel();
    });
    stream.on('error', (err: ServiceError) => {
      if (settled) return;
      settled = true;
      reject(fromServiceError(err, endpoint));
    });
    stream.on('end', () => {
      if (settled) return;
      settled = true;
      reject(new ClientError(GrpcStatus.UNAVAILABLE, 'lease keepalive stream ended without a response', endpoint));
    });
    stream.write(LeaseKeepAliveRequest.fromPartial({ ID }));
  });
}

/** Keeps one lease alive until stop() or until the server says it is gone (TTL <= 0). */
export class LeaseKeepAlive {
  private stream: Stream | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private resolveDone!: () => void;
  /** Resolves when keeping alive ends: stop() was called or the lease expired or was revoked. */
  readonly done: Promise<void> = new Promise((r) => (this.resolveDone = r));
  /** The last response received, if any. */
  last: LeaseKeepAliveResponse | undefined;

  constructor(
    private readonly client: ClientCore,
    readonly ID: bigint,
    private readonly onResponse?: (r: LeaseKeepAliveResponse) => void,
  ) {
    void this.open();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.stream?.cancel();
    this.stream = undefined;
    this.resolveDone();
  }

  private async open(): Promise<void> {
    while (!this.stopped && !this.client.isClosed) {
      try {
        const { stream } = await this.client.openBidi(LeaseService.leaseKeepAlive, { timeoutMs: 0 });
        if (this.stopped) {
          stream.cancel();
          return;
        }
        this.attach(stream);
        return;
      } catch {
        await new Promise((r) => (this.timer = setTimeout(r, KEEPALIVE_RETRY_MS)));
      }
    }
    this.stop();
  }

  private attach(stream: Stream): void {
    this.stream = stream;
    stream.on('data', (r: LeaseKeepAliveResponse) => {
      this.last = r;
      this.onResponse?.(r);
      if (r.TTL <= 0n) return this.stop();
      const intervalMs = Math.max(KEEPALIVE_MIN_INTERVAL_MS, (Number(r.TTL) * 1000) / 3);
      this.timer = setTimeout(() => this.send(), intervalMs);
    });
    const failed = (): void => {
      if (this.stream !== stream || this.stopped) return;
      this.stream = undefined;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.open(), KEEPALIVE_RETRY_MS);
    };
    stream.on('error', failed);
    stream.on('end', failed);
    this.send();
  }

  private send(): void {
    if (this.stopped || this.stream === undefined) return;
    this.stream.write(LeaseKeepAliveRequest.fromPartial({ ID: this.ID }));
  }
}
