// The HTTP/2 side of a bidi-streaming call served without grpc-js, shared by the watch and
// lease keep-alive fast paths: request messages split off DATA chunks, response headers
// before the first message, every response of a turn framed into one buffer and written
// once, a status in trailers (or trailers-only when nothing was sent), and the grpc_server_*
// counts grpc-js's metrics interceptor would have kept. Through grpc-js each response went
// alone through its object streams, interceptors and its own HTTP/2 write; that was most
// of the member's CPU per watched put and per keep-alive.
//
// A subclass decodes and answers the requests (onMessage), says what the client's
// half-close means (onEnd) and drops its own state when the call stops (onStop).

import type http2 from 'node:http2';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { grpcBytes } from '../metrics/registry.js';
import { countHandled, handlingStart, type MethodCounts } from '../metrics/grpc-metrics.js';
import { ignoreError, RESPONSE_HEADERS, statusHeaders, TRAILERS_ONLY_HEADERS, type Status } from './grpc-fast-status.js';
import { FRAME_PREFIX_BYTES, GrpcMessageReader, oversizeDetails, type MessageSink } from './grpc-message-reader.js';

export interface FastBidiLimits {
  /** grpc.max_receive_message_length of the grpc-js server. */
  maxReceiveBytes: number;
  /** grpc.max_send_message_length of the grpc-js server. */
  maxSendBytes: number;
}

/** How a response of type P is laid into the turn's buffer (P is a Buffer for plain bytes). */
export interface ResponseLayout<P> {
  size(p: P): number;
  /** Writes `p` at `pos` of `out`; returns the position after it. */
  write(out: Buffer, pos: number, p: P): number;
}

export const BYTES_LAYOUT: ResponseLayout<Buffer> = {
  size: (b) => b.length,
  // TypedArray set: these copies are small, and Buffer#copy's call into C++ costs more.
  write: (out, pos, b) => (out.set(b, pos), pos + b.length),
};

/**
 * Whether a bidi fast path takes this stream: one of its `path`, not compressed, without a
 * deadline, on a voter. Deadlines on such streams and calls on learners (refused there) are
 * rare, so grpc-js serves those.
 */
export function takesPlainStream(headers: http2.IncomingHttpHeaders, path: string, isLearner: () => boolean): boolean {
  if (headers[':path'] !== path) return false;
  const encoding = headers['grpc-encoding'];
  if (encoding !== undefined && encoding !== 'identity') return false;
  return headers['grpc-timeout'] === undefined && !isLearner();
}

/**
 * What a bidi exchange uses of its HTTP/2 stream: node's ServerHttp2Stream, or a stream the
 * client port's HTTP/2 front end serves itself (h2-owned-bidi-stream.ts).
 */
export interface BidiStream {
  readonly destroyed: boolean;
  readonly closed: boolean;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'end' | 'close' | 'wantTrailers', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  respond(headers: http2.OutgoingHttpHeaders, options: { waitForTrailers?: boolean; endStream?: boolean }): void;
  write(chunk: Buffer, written: () => void): unknown;
  end(): unknown;
  sendTrailers(headers: http2.OutgoingHttpHeaders): void;
  resume(): unknown;
}

export abstract class FastBidiExchange<P> implements MessageSink {
  private readonly reader: GrpcMessageReader;
  private headersSent = false;
  /** This turn's responses, not yet framed: they leave together as one write (see flush). */
  private batch: P[] = [];
  private batchBytes = 0;
  /** Inside onData: responses made there are written when the chunk is done, not on a later tick. */
  private inData = false;
  /** Responses written and not yet handed to the socket: the stream's send buffer. */
  protected pending = 0;
  /** Set once a status is decided or the stream went away: nothing more is sent. */
  protected done = false;
  private status: Status | undefined;
  private readonly startedAt = handlingStart();

  constructor(
    protected readonly limits: FastBidiLimits,
    protected readonly counts: MethodCounts,
    protected readonly stream: BidiStream,
    private readonly layout: ResponseLayout<P>,
  ) {
    counts.started++;
    this.reader = new GrpcMessageReader(limits.maxReceiveBytes);
    stream.on('error', ignoreError);
    stream.on('close', this.onClose);
  }

  /** One whole request message (not yet counted as received). */
  protected abstract onMessage(body: Buffer): void;
  /** The client half-closed. */
  protected abstract onEnd(): void;
  /** The call stops (status decided by the path itself, or the stream went away). */
  protected onStop(): void {}

  /** Starts taking requests; called once the subclass is set up. */
  protected listen(): void {
    this.stream.on('data', this.onData);
    this.stream.on('end', () => this.onEnd());
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.done) return;
    this.inData = true;
    const oversize = this.reader.feed(chunk, this);
    this.inData = false;
    if (oversize > 0) this.finishNow({ code: GrpcStatus.RESOURCE_EXHAUSTED, details: oversizeDetails(oversize, this.limits.maxReceiveBytes) });
    else this.flush();
  };

  /** False once the call has ended (no more messages are taken). */
  takeMessage(body: Buffer): boolean {
    this.onMessage(body);
    return !this.done;
  }

  private readonly onClose = (): void => {
    this.onStop();
    this.done = true;
  };

  /** Queues a response for this turn's write. */
  protected write(response: P): void {
    this.counts.sent++;
    if (this.done || this.stream.destroyed || this.stream.closed) return;
    const size = this.layout.size(response);
    grpcBytes.sent += size;
    if (size > this.limits.maxSendBytes) {
      this.finishNow({ code: GrpcStatus.RESOURCE_EXHAUSTED, details: `Sent message larger than max (${size + 5} vs. ${this.limits.maxSendBytes})` });
      return;
    }
    const stream = this.stream;
    if (!this.headersSent) {
      this.headersSent = true;
      stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
      stream.on('wantTrailers', this.onWantTrailers);
    }
    // Everything this turn sends to the stream leaves as one buffer in one write: a put seen
    // by a stream's 10 watchers was 10 stream writes, each with its own frame copy, write
    // request and completion callback.
    if (this.batch.length === 0 && !this.inData) process.nextTick(this.flush);
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
    const out = Buffer.allocUnsafe(this.batchBytes + FRAME_PREFIX_BYTES * n);
    this.batchBytes = 0;
    let pos = 0;
    for (const p of batch) {
      const start = pos + FRAME_PREFIX_BYTES;
      const end = this.layout.write(out, start, p);
      out[pos] = 0;
      out.writeUInt32BE(end - start, pos + 1);
      pos = end;
    }
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    stream.write(out, () => {
      this.pending -= n;
    });
  };

  /** A status grpc-js's stream sends once the responses queued before it are written (it is counted). */
  protected finishAfterWrites(status: Status): void {
    if (this.done) return;
    countHandled(this.counts, status.code, this.startedAt);
    this.end(status);
  }

  /** A status grpc-js's base call sends on its own, past the interceptors: not counted as handled. */
  protected finishNow(status: Status): void {
    if (this.done) return;
    this.onStop();
    this.end(status);
  }

  private end(status: Status): void {
    // Responses already made go out before the status, as they did through grpc-js.
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
