// Serves etcdserverpb.Watch/Watch streams straight off node:http2, without grpc-js, for the
// cost of fanning events out: one write seen by 100 watchers is 100 responses, and through
// grpc-js each went alone through its object stream, interceptors and its own HTTP/2 write
// (about 25 us each, several times etcd's cost per event). Here every response of a turn
// to one stream is framed into a single buffer and written once (grpc-fast-bidi.ts), and
// event responses arrive already encoded (src/server/watch-response-encoding.ts).
//
// It answers as grpc-js with our interceptors does, which test/api/watch-fast-path.test.ts
// checks against a member without it: response headers before the first message, each
// response in its own length-prefixed message, an OK status when the client half-closes,
// a service error as its status after the responses already queued, grpc-js's own statuses
// for an oversized or undecodable request, and the same grpc_server_* counts. Streams it
// does not take on (compressed, with a grpc-timeout, opened on a learner) go to grpc-js.

import type http2 from 'node:http2';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { WatchService, type WatchRequest } from '../gen/etcdserverpb/rpc.js';
import { CLIENT_API_VERSION_KEY, countClientRequest, countsOf, type MethodCounts } from '../metrics/grpc-metrics.js';
import type { WatchSessionHost } from '../server/watch-session.js';
import { WatchSession } from '../server/watch-session.js';
import { deliveryResponseSize, writeDeliveryResponse, type EncodedDelivery } from '../server/watch-response-encoding.js';
import { statusOfError, withDetails } from './grpc-fast-status.js';
import { toServiceError } from './grpc-errors.js';
import { BYTES_LAYOUT, FastBidiExchange, takesPlainStream, type BidiStream, type FastBidiLimits, type ResponseLayout } from './grpc-fast-bidi.js';
import { requestAuth } from './request-auth.js';
import { HeaderMetadata } from './unary-fast-call.js';
import { STREAM_SEND_BUFFER } from './watch-service.js';

const WATCH = WatchService.watch;

export interface WatchFastPathOptions extends FastBidiLimits {
  isLearner: () => boolean;
  /** A new watch stream's view of the server. */
  host: () => WatchSessionHost;
}

export class WatchFastPath {
  private readonly counts: MethodCounts = countsOf(WATCH);

  constructor(private readonly opts: WatchFastPathOptions) {}

  /** Serves the stream when it is a watch stream this path handles; false leaves it to grpc-js. */
  tryServe(stream: BidiStream, headers: http2.IncomingHttpHeaders): boolean {
    if (!takesPlainStream(headers, WATCH.path, this.opts.isLearner)) return false;
    countClientRequest('stream', headers[CLIENT_API_VERSION_KEY]);
    new WatchExchange(this.opts, this.counts, stream, headers);
    return true;
  }
}

/** A response waiting for the turn's write: bytes, or an event delivery still to be laid out. */
type Pending = Buffer | { delivery: EncodedDelivery; idField: Buffer };

const PENDING_LAYOUT: ResponseLayout<Pending> = {
  size: (r) => (Buffer.isBuffer(r) ? BYTES_LAYOUT.size(r) : deliveryResponseSize(r.delivery, r.idField)),
  write: (out, pos, r) => (Buffer.isBuffer(r) ? BYTES_LAYOUT.write(out, pos, r) : writeDeliveryResponse(out, pos, r.delivery, r.idField)),
};

/** One watch stream from its request headers to its status. */
class WatchExchange extends FastBidiExchange<Pending> {
  private session: WatchSession | undefined;
  /** Requests are handled one after another, in arrival order, as grpc-js's stream delivers them. */
  private chain: Promise<void> = Promise.resolve();

  constructor(opts: WatchFastPathOptions, counts: MethodCounts, stream: BidiStream, headers: http2.IncomingHttpHeaders) {
    super(opts, counts, stream, PENDING_LAYOUT);
    try {
      this.session = new WatchSession(
        opts.host(),
        {
          send: (r) => this.write(WATCH.responseSerialize(r)),
          sendEncoded: (bytes) => this.write(bytes),
          sendDelivery: (delivery, idField) => this.write({ delivery, idField }),
          hasRoom: () => this.pending < STREAM_SEND_BUFFER,
        },
        requestAuth(new HeaderMetadata(headers)),
      );
    } catch (err) {
      this.finishAfterWrites(statusOfError(toServiceError(err), undefined));
      return;
    }
    this.listen();
  }

  protected onMessage(body: Buffer): void {
    let req: WatchRequest;
    try {
      req = WATCH.requestDeserialize(body);
    } catch (err) {
      this.finishNow({ code: GrpcStatus.INTERNAL, details: withDetails('Error deserializing request', err) });
      return;
    }
    this.counts.received++;
    const session = this.session!;
    this.chain = this.chain
      .then(() => session.handle(req))
      .catch((err: unknown) => {
        session.close();
        this.finishAfterWrites(statusOfError(toServiceError(err), undefined));
      });
  }

  /** The client half-closed: its watchers end and the stream ends with OK, as our grpc-js handler does. */
  protected onEnd(): void {
    this.session?.close();
    this.finishAfterWrites({ code: GrpcStatus.OK, details: 'OK' });
  }

  protected override onStop(): void {
    this.session?.close();
  }
}
