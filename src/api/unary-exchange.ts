// One unary gRPC call served without grpc-js, from its request headers to its status: what
// grpc-js with our interceptors (metrics, learner gate) does for such a call, call by call.
// How the answer reaches the client is left to the two kinds of exchange: on a node:http2
// stream (unary-fast-path.ts) or on a stream the client port's own HTTP/2 front end took
// (unary-owned-exchange.ts).

import { Metadata, status as GrpcStatus, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type http2 from 'node:http2';
import { countHandled, handlingStart, type MethodCounts } from '../metrics/grpc-metrics.js';
import { grpcBytes } from '../metrics/registry.js';
import { servedToLearner } from './learner-gate.js';
import { Errors } from '../server/errors.js';
import { FastUnaryCall, HeaderMetadata } from './unary-fast-call.js';
import { GrpcMessageReader, oversizeDetails, type MessageSink } from './grpc-message-reader.js';
import * as putTrace from '../metrics/put-trace.js';
import { SEND_ERROR_DETAILS, statusHeaders, statusOfError, TRAILERS_ONLY_HEADERS, withDetails, type Status } from './grpc-fast-status.js';

export type UnaryHandler = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => void;

export interface FastMethod {
  path: string;
  deserialize: (bytes: Buffer) => unknown;
  /** The response with its gRPC prefix. */
  serializeFramed: (value: unknown) => Buffer;
  handler: UnaryHandler;
  counts: MethodCounts;
}

export interface UnaryLimits {
  /** grpc.max_receive_message_length of the grpc-js server. */
  maxReceiveBytes: number;
  /** grpc.max_send_message_length of the grpc-js server. */
  maxSendBytes: number;
  isLearner: () => boolean;
}

const PREFIX_BYTES = 5;

/** Fires a call's deadline: setTimeout's argument instead of a closure per call. */
function fireDeadline(exchange: UnaryExchange): void {
  exchange.onDeadline();
}

export abstract class UnaryExchange extends FastUnaryCall<unknown> implements MessageSink {
  private readonly reader: GrpcMessageReader;
  private messages = 0;
  /** Set once a status went out, or the stream went away: nothing more is sent. */
  protected done = false;
  private readonly gated: boolean;
  private timer: NodeJS.Timeout | undefined;
  /** When the request's headers came (ETCD_TS_PUTTRACE only). */
  private readonly arrive = putTrace.TRACE ? performance.now() : 0;
  private readonly startedAt = handlingStart();

  constructor(
    private readonly limits: UnaryLimits,
    private readonly method: FastMethod,
    headers: http2.IncomingHttpHeaders,
    timeoutMs: number,
  ) {
    super(headers, method.path, timeoutMs >= 0 ? Date.now() + timeoutMs : Infinity);
    method.counts.started++;
    this.reader = new GrpcMessageReader(limits.maxReceiveBytes);
    // A voter never becomes a learner again: only a call that starts on a learner is gated.
    this.gated = limits.isLearner();
    if (timeoutMs >= 0) this.timer = setTimeout(fireDeadline, timeoutMs, this);
  }

  /** Sends the OK reply: headers, the framed message, then trailers carrying `trailer`. */
  protected abstract sendReply(frame: Buffer, trailer: Metadata | null): void;

  /** Sends a status alone (a trailers-only answer) and drops whatever else the client sends. */
  protected abstract sendStatus(headers: http2.OutgoingHttpHeaders): void;

  /** Whether the stream closed or was reset under the call. */
  protected abstract streamGone(): boolean;

  /** A chunk of the request body. */
  requestData(chunk: Buffer): void {
    if (this.done) return;
    const oversize = this.reader.feed(chunk, this);
    if (oversize > 0) this.finishUncounted({ code: GrpcStatus.RESOURCE_EXHAUSTED, details: oversizeDetails(oversize, this.limits.maxReceiveBytes) });
  }

  /** One whole request message; false once the call has ended (no more are taken). */
  takeMessage(body: Buffer): boolean {
    this.onMessage(body);
    return !this.done;
  }

  private onMessage(body: Buffer): void {
    let message: unknown;
    try {
      message = this.method.deserialize(body);
    } catch (err) {
      this.finishUncounted({ code: GrpcStatus.INTERNAL, details: withDetails('Error deserializing request', err) });
      return;
    }
    this.method.counts.received++;
    if (this.gated && this.limits.isLearner() && !servedToLearner(this.method.path, message)) {
      this.finishCounted({ code: Errors.NotSupportedForLearner.code, details: Errors.NotSupportedForLearner.message, metadata: new Metadata() });
      return;
    }
    this.messages++;
    if (this.messages === 1) {
      this.request = message;
      return;
    }
    this.finishCounted({ code: GrpcStatus.UNIMPLEMENTED, details: `Received a second request message for server streaming method ${this.method.path}` });
  }

  /** The client ended the request. */
  requestEnd(): void {
    if (this.done) return;
    if (this.messages === 0) {
      this.finishCounted({ code: GrpcStatus.UNIMPLEMENTED, details: `Received no request message for server streaming method ${this.method.path}` });
      return;
    }
    this.metadata = new HeaderMetadata(this.headers);
    if (putTrace.TRACE) putTrace.noteRequest(this.arrive, performance.now());
    try {
      this.method.handler(this as unknown as ServerUnaryCall<unknown, unknown>, this.respond);
    } catch (err) {
      this.finishCounted({ code: GrpcStatus.UNKNOWN, details: SEND_ERROR_DETAILS ? `Server method handler threw error ${(err as Error).message}` : 'Unknown error' });
    }
  }

  private readonly respond = (err: unknown, value?: unknown, trailer?: Metadata): void => {
    if (err) {
      this.finishCounted(statusOfError(err, trailer));
      return;
    }
    const counts = this.method.counts;
    counts.sent++;
    if (this.isDone()) return;
    let frame: Buffer;
    try {
      frame = this.method.serializeFramed(value);
    } catch (err) {
      this.finishUncounted({ code: GrpcStatus.INTERNAL, details: withDetails('Error serializing response', err) });
      return;
    }
    grpcBytes.sent += frame.length - PREFIX_BYTES;
    if (frame.length - PREFIX_BYTES > this.limits.maxSendBytes) {
      this.finishUncounted({ code: GrpcStatus.RESOURCE_EXHAUSTED, details: `Sent message larger than max (${frame.length} vs. ${this.limits.maxSendBytes})` });
      return;
    }
    countHandled(counts, GrpcStatus.OK, this.startedAt);
    this.done = true;
    this.clearTimer();
    this.sendReply(frame, trailer ?? null);
  };

  /** A status the metrics interceptor sees (it came through grpc-js's interceptor chain). */
  private finishCounted(status: Status): void {
    countHandled(this.method.counts, status.code, this.startedAt);
    this.finishUncounted(status);
  }

  /** A status grpc-js's base call sends on its own, past the interceptors: not counted as handled. */
  private finishUncounted(status: Status): void {
    if (this.isDone()) return;
    this.done = true;
    this.clearTimer();
    this.sendStatus(statusHeadersOf(status));
    this.markCancelled();
  }

  onDeadline(): void {
    this.timer = undefined;
    this.finishUncounted({ code: GrpcStatus.DEADLINE_EXCEEDED, details: 'Deadline exceeded' });
  }

  /** grpc-js also treats a stream that closed or was destroyed before its 'close' as cancelled. */
  protected isDone(): boolean {
    if (!this.done && this.streamGone()) this.cancel();
    return this.done;
  }

  /** The stream went away (the call listens only once its handler asked for 'cancelled'). */
  protected override streamClosed(): void {
    if (!this.done) this.cancel();
  }

  protected cancel(): void {
    this.done = true;
    this.clearTimer();
    this.markCancelled();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}

/** A trailers-only answer's headers, as grpc-js writes them. */
function statusHeadersOf(status: Status): http2.OutgoingHttpHeaders {
  return statusHeaders(status, TRAILERS_ONLY_HEADERS);
}
