// Serves etcdserverpb.Lease/LeaseKeepAlive streams straight off node:http2, without grpc-js.
// A keep-alive is a tiny request and a tiny answer, so grpc-js's per-message machinery (its
// stream decoder, interceptors, object streams, protobuf codec, one HTTP/2 write per answer)
// cost several times the renewal itself. Here the leader answers a keep-alive in the turn
// its request arrives: decoded and encoded by hand (lease-keepalive-codec.ts), renewed
// without a promise (LeaseServer.renewNow), and written with the other answers of that
// DATA chunk as one buffer (grpc-fast-bidi.ts).
//
// What a client sees is what our grpc-js handler (keepAliveStream in lease-service.ts)
// sends, which test/api/lease-keepalive-fast-path.test.ts checks against a member without
// it: one answer per request, in order; TTL 0 for an unknown or expired lease; a follower's
// answers forwarded from the leader with its own header; any other error as the stream's
// status after the answers before it; OK when the client half-closes. Streams it does not
// take on (compressed, with a grpc-timeout, opened on a learner) go to grpc-js.

import type http2 from 'node:http2';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { LeaseService } from '../gen/etcdserverpb/rpc.js';
import { CLIENT_API_VERSION_KEY, countClientRequest, countsOf, type MethodCounts } from '../metrics/grpc-metrics.js';
import { Errors } from '../server/errors.js';
import { BYTES_LAYOUT, FastBidiExchange, takesPlainStream, type BidiStream, type FastBidiLimits } from './grpc-fast-bidi.js';
import { statusOfError, withDetails } from './grpc-fast-status.js';
import { toServiceError } from './grpc-errors.js';
import { decodeKeepAliveId, encodeKeepAliveResponse } from './lease-keepalive-codec.js';
import { keepAliveOrGone, type LeaseApiHost } from './lease-service.js';

const KEEP_ALIVE = LeaseService.leaseKeepAlive;

export interface LeaseKeepAliveFastPathOptions extends FastBidiLimits {
  isLearner: () => boolean;
  host: LeaseApiHost;
}

export class LeaseKeepAliveFastPath {
  private readonly counts: MethodCounts = countsOf(KEEP_ALIVE);

  constructor(private readonly opts: LeaseKeepAliveFastPathOptions) {}

  /** Serves the stream when it is a keep-alive stream this path handles; false leaves it to grpc-js. */
  tryServe(stream: BidiStream, headers: http2.IncomingHttpHeaders): boolean {
    if (!takesPlainStream(headers, KEEP_ALIVE.path, this.opts.isLearner)) return false;
    countClientRequest('stream', headers[CLIENT_API_VERSION_KEY]);
    new KeepAliveExchange(this.opts, this.counts, stream);
    return true;
  }
}

/** One keep-alive stream from its request headers to its status. */
class KeepAliveExchange extends FastBidiExchange<Buffer> {
  /** Answers that had to wait (forwarded, or before promotion), in request order. */
  private chain: Promise<void> = Promise.resolve();
  /** Requests on the chain not yet answered: while there are any, later ones queue behind them. */
  private waiting = 0;

  constructor(
    private readonly opts: LeaseKeepAliveFastPathOptions,
    counts: MethodCounts,
    stream: BidiStream,
  ) {
    super(opts, counts, stream, BYTES_LAYOUT);
    this.listen();
  }

  protected onMessage(body: Buffer): void {
    let id: bigint;
    try {
      id = decodeKeepAliveId(body);
    } catch (err) {
      this.finishNow({ code: GrpcStatus.INTERNAL, details: withDetails('Error deserializing request', err) });
      return;
    }
    this.counts.received++;
    if (this.waiting === 0 && this.answerNow(id)) return;
    this.waiting++;
    this.chain = this.chain.then(async () => {
      try {
        if (this.done) return;
        const resp = await keepAliveOrGone(this.opts.host, id);
        if (!this.done) this.write(KEEP_ALIVE.responseSerialize(resp));
      } catch (err) {
        this.finishAfterWrites(statusOfError(toServiceError(err), undefined));
      } finally {
        this.waiting--;
      }
    });
  }

  /** Answers `id` in this turn when the member can (see LeaseServer.renewNow); false when it must wait. */
  private answerNow(id: bigint): boolean {
    const host = this.opts.host;
    const leases = host.leases;
    if (leases === undefined) return false;
    let ttlSec: number | undefined;
    try {
      ttlSec = leases.renewNow(id);
      if (ttlSec === undefined) return false;
    } catch (err) {
      if (err !== Errors.LeaseNotFound) {
        this.finishAfterWrites(statusOfError(toServiceError(err), undefined));
        return true;
      }
      ttlSec = 0;
    }
    this.write(encodeKeepAliveResponse(host.header(host.currentRevision()), id, ttlSec));
    return true;
  }

  /** The client half-closed: the answers still owed go first, then OK, as our grpc-js handler ends. */
  protected onEnd(): void {
    if (this.waiting === 0) this.finishAfterWrites({ code: GrpcStatus.OK, details: 'OK' });
    else void this.chain.then(() => this.finishAfterWrites({ code: GrpcStatus.OK, details: 'OK' }));
  }
}
