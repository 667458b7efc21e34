// Serves etcdserverpb.Watch/Watch streams straight off node:http2, without grpc-js, for the
// cost of fanning events out: one write seen by 100 watchers is 100 responses, and through
// grpc-js each went alone through its object stream, interceptors and its own HTTP/2 write
// (about 25 us each, several times etcd's cost per event). Here every response of a turn
// to one stream is framed into a single buffer and written once, and event responses arrive already encoded
// (src/server/watch-response-encoding.ts).
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
import { countHandled, countsOf, type MethodCounts } from '../metrics/grpc-metrics.js';
import type { WatchSessionHost } from '../server/watch-session.js';
import { WatchSession } from '../server/watch-session.js';
import { deliveryResponseSize, writeDeliveryResponse, type EncodedDelivery } from '../server/watch-response-encoding.js';
import { ignoreError, RESPONSE_HEADERS, statusHeaders, statusOfError, TRAILERS_ONLY_HEADERS, withDetails, type Status } from './grpc-fast-status.js';
import { toServiceError } from './grpc-errors.js';
import { GrpcMessageReader, oversizeDetails } from './grpc-message-reader.js';
import { requestAuth } from './request-auth.js';
import { HeaderMetadata } from './unary-fast-call.js';
import { STREAM_SEND_BUFFER } from './watch-service.js';

const WATCH = WatchService.watch;

export interface WatchFastPathOptions {
  /** grpc.max_receive_message_length of the grpc-js server. */
  maxReceiveBytes: number;
  /** grpc.max_send_message_length of the grpc-js server. */
  maxSendBytes: number;
  isLearner: () => boolean;
  /** A new watch stream's view of the server. */
  host: () => WatchSessionHost;
}

export class WatchFastPath {
  private readonly counts: MethodCounts = countsOf(WATCH);

  constructor(private readonly opts: WatchFastPathOptions) {}

  /** Serves the stream when it is a watch stream this path handles; false leaves it to grpc-js. */
  tryServe(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean {
    if (headers[':path'] !== WATCH.path) return false;
    const encoding = headers['grpc-encoding'];
    if (encoding !== undefined && encoding !== 'identity') return false;
    // Deadlines on watch streams and watches on learners (refused there) are rare: grpc-js has them.
    if (headers['grpc-timeout'] !== undefined || this.opts.isLearner()) return false;
    new WatchExchange(this.opts, this.counts, stream, headers);
    return true;
  }
}

/** One watch stream from its request headers to its status. */
class WatchExchange {
  private readonly reader: GrpcMessageReader;
  private session: WatchSession | undefined;
  /** Requests are handled one after another, in arrival order, as grpc-js's stream delivers them. */
  private chain: Promise<void> = Promise.resolve();
  private headersSent = false;
  /** This turn's responses, not yet framed: they leave together as one write (see flush). */
  private batch: Pending[] = [];
  private batchBytes = 0;
  /** Responses written and not yet handed to the socket: the stream's send buffer. */
  private pending = 0;
  /** Set once a status is decided or the stream went away: nothing more is sent. */
  private done = false;
  private status: Status | undefined;

  constructor(
    private readonly opts: WatchFastPathOptions,
    private readonly counts: MethodCounts,
    private readonly stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
  ) {
    counts.started++;
    this.reader = new GrpcMessageReader(opts.maxReceiveBytes);
    stream.on('error', ignoreError);
    stream.on('close', this.onClose);
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
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.done) return;
    const oversize = this.reader.feed(chunk, this.takeMessage);
    if (oversize > 0) this.finishNow({ code: GrpcStatus.RESOURCE_EXHAUSTED, details: oversizeDetails(oversize, this.opts.maxReceiveBytes) });
  };

  /** One whole request message; false once the call has ended (no more are taken). */
  private readonly takeMessage = (body: Buffer): boolean => {
    this.onMessage(body);
    return !this.done;
  };

  private onMessage(body: Buffer): void {
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
  private readonly onEnd = (): void => {
    this.session?.close();
    this.finishAfterWrites({ code: GrpcStatus.OK, details: 'OK' });
  };

  private readonly onClose = (): void => {
    this.session?.close();
    this.done = true;
  };

  private write(response: Pending): void {
    this.counts.sent++;
    if (this.done || this.stream.destroyed || this.stream.closed) return;
    const size = pendingSize(response);
    if (size > this.opts.maxSendBytes) {
      this.finishNow({ code: GrpcStatus.RESOURCE_EXHAUSTED, details: `Sent message larger than max (${size + 5} vs. ${this.opts.maxSendBytes})` });
      return;
    }
    const stream = this.stream;
    if (!this.headersSent) {
      this.headersSent = true;
      stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
      stream.on('wantTrailers', this.onWantTrailers);
    }
    // Everything this turn sends to the stream leaves as one buffer in one write: a put seen
    // by this stream's 10 watchers was 10 stream writes, each with its own frame copy, write
    // request and completion callback, a large part of the member's CPU per watched put.
    if (this.batch.length === 0) process.nextTick(this.flush);
    this.batch.push(response);
    this.batchBytes += size;
    this.pending++;
  }

  /** Frames this turn's responses into one buffer and writes it; they count as sent once it is. */
  private readonly flush = (): void => {
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    const n = batch.length;
    const out = frameAll(batch, this.batchBytes);
    this.batchBytes = 0;
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    stream.write(out, () => {
      this.pending -= n;
    });
  };

  /** A status grpc-js's stream sends once the responses queued before it are written (it is counted). */
  private finishAfterWrites(status: Status): void {
    if (this.done) return;
    countHandled(this.counts, status.code);
    this.end(status);
  }

  /** A status grpc-js's base call sends on its own, past the interceptors: not counted as handled. */
  private finishNow(status: Status): void {
    if (this.done) return;
    this.session?.close();
    this.end(status);
  }

  private end(status: Status): void {
    // Responses already sent this turn go out before the status, as they did through grpc-js.
    this.flush();
    this.done = true;
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    if (this.headersSent) {
      this.status = status;
      stream.end();
    } else {
      stream.respond(statusHeaders(status, TRAILERS_ONLY_HEADERS), { endStream: true });
    }
    // Whatever else the client sends is read and dropped.
    stream.resume();
  }

  private readonly onWantTrailers = (): void => {
    this.stream.sendTrailers(statusHeaders(this.status ?? { code: GrpcStatus.OK, details: 'OK' }));
  };
}

/** A response waiting for the turn's write: bytes, or an event delivery still to be laid out. */
type Pending = Buffer | { delivery: EncodedDelivery; idField: Buffer };

function pendingSize(r: Pending): number {
  return Buffer.isBuffer(r) ? r.length : deliveryResponseSize(r.delivery, r.idField);
}

/** Responses as consecutive gRPC messages (5-byte prefix each) in one buffer; `bodyBytes` is their total length. */
function frameAll(bodies: readonly Pending[], bodyBytes: number): Buffer {
  const out = Buffer.allocUnsafe(bodyBytes + 5 * bodies.length);
  let pos = 0;
  for (const b of bodies) {
    const start = pos + 5;
    const end = Buffer.isBuffer(b) ? (out.set(b, start), start + b.length) : writeDeliveryResponse(out, start, b.delivery, b.idField);
    out[pos] = 0;
    out.writeUInt32BE(end - start, pos + 1);
    pos = end;
  }
  return out;
}
