// Serves plain unary gRPC calls straight off the HTTP/2 stream, without grpc-js's per-call
// machinery (intercepting-call layers, listeners, its stream decoder, read queue, promise per
// message): on a small put that machinery cost about a fifth of the member's CPU. It behaves
// as grpc-js with our interceptors (metrics, learner gate) does today: the same headers,
// DATA, trailers, status codes and texts, and the same grpc_server_* counts, which
// test/api/unary-fast-path.test.ts checks call by call against grpc-js. Anything it does not
// take on (streaming methods, compressed requests, a malformed grpc-timeout, unknown paths)
// goes on to grpc-js unchanged.

import type http2 from 'node:http2';
import {
  Metadata,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { CLIENT_API_VERSION_KEY, countClientRequest, countHandled, countsOf, handlingStart, type MethodCounts } from '../metrics/grpc-metrics.js';
import { grpcBytes } from '../metrics/registry.js';
import { servedToLearner } from './learner-gate.js';
import { Errors } from '../server/errors.js';
import { FastUnaryCall, HeaderMetadata } from './unary-fast-call.js';
import { framedSerializers, GrpcMessageReader, grpcFrame, oversizeDetails, type MessageSink } from './grpc-message-reader.js';
import * as putTrace from '../metrics/put-trace.js';
import { sendTrailersNow } from './h2-trailers-now.js';
import { respondWaitingForTrailers } from './h2-respond-now.js';
import { ignoreError, okTrailers, RESPONSE_HEADERS, SEND_ERROR_DETAILS, statusHeaders, statusOfError, TRAILERS_ONLY_HEADERS, withDetails, type Status } from './grpc-fast-status.js';

type UnaryHandler = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => void;

interface FastMethod {
  path: string;
  deserialize: (bytes: Buffer) => unknown;
  /** The response with its gRPC prefix. */
  serializeFramed: (value: unknown) => Buffer;
  handler: UnaryHandler;
  counts: MethodCounts;
}

export interface UnaryFastPathOptions {
  /** grpc.max_receive_message_length of the grpc-js server. */
  maxReceiveBytes: number;
  /** grpc.max_send_message_length of the grpc-js server. */
  maxSendBytes: number;
  isLearner: () => boolean;
}

/** grpc-js's grpc-timeout parsing (server-interceptors.js). */
const DEADLINE = /(\d{1,8})\s*([HMSmun])/;
const UNIT_MS: Record<string, number> = { H: 3600000, M: 60000, S: 1000, m: 1, u: 0.001, n: 0.000001 };
const PREFIX_BYTES = 5;

export class UnaryFastPath {
  private readonly methods = new Map<string, FastMethod>();

  constructor(private readonly opts: UnaryFastPathOptions) {}

  /** Takes on the unary methods of a service registered with grpc-js under the same definition. */
  addService(def: ServiceDefinition, impl: UntypedServiceImplementation): void {
    for (const [name, m] of Object.entries(def)) {
      if (m.requestStream || m.responseStream) continue;
      const handler = (impl[name] ?? (m.originalName === undefined ? undefined : impl[m.originalName])) as UnaryHandler | undefined;
      if (handler === undefined) continue;
      this.methods.set(m.path, {
        path: m.path,
        deserialize: m.requestDeserialize as (bytes: Buffer) => unknown,
        serializeFramed: framedSerializer(m.responseSerialize as (value: unknown) => Buffer),
        handler,
        counts: countsOf(m),
      });
    }
  }

  /** Serves the stream when it is a unary call this path handles; false leaves it to grpc-js. */
  tryServe(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean {
    const method = this.methods.get(headers[':path'] ?? '');
    if (method === undefined) return false;
    const encoding = headers['grpc-encoding'];
    if (encoding !== undefined && encoding !== 'identity') return false;
    let timeoutMs = -1;
    const timeout = headers['grpc-timeout'];
    if (timeout !== undefined) {
      const match = DEADLINE.exec(String(timeout));
      if (match === null) return false;
      timeoutMs = (Number(match[1]) * UNIT_MS[match[2]!]!) | 0;
    }
    countClientRequest('unary', headers[CLIENT_API_VERSION_KEY]);
    new UnaryExchange(this.opts, method, stream, headers, timeoutMs);
    return true;
  }
}

/** The serializer's framed twin, or grpcFrame after it. */
function framedSerializer(serialize: (value: unknown) => Buffer): (value: unknown) => Buffer {
  return (framedSerializers.get(serialize) as ((value: unknown) => Buffer) | undefined) ?? ((value) => grpcFrame(serialize(value)));
}

/** Fires a call's deadline: setTimeout's argument instead of a closure per call. */
function fireDeadline(exchange: UnaryExchange): void {
  exchange.onDeadline();
}

/**
 * One unary call from its request headers to its trailers, and the call object its handler
 * gets. Its functions per call are the three node and the handler need (request events,
 * the handler's callback, the trailers' turn); everything else is a method.
 */
class UnaryExchange extends FastUnaryCall<unknown> implements MessageSink {
  private readonly reader: GrpcMessageReader;
  private messages = 0;
  /** Set once a status went out, or the stream went away: nothing more is sent. */
  private done = false;
  private readonly gated: boolean;
  private timer: NodeJS.Timeout | undefined;
  /** The metadata of the OK status the trailers will carry (null: none). */
  private okMetadata: Metadata | null = null;
  /** When the request's headers came (ETCD_TS_PUTTRACE only). */
  private readonly arrive = putTrace.TRACE ? performance.now() : 0;
  private readonly startedAt = handlingStart();
  /** When respond() ran (ETCD_TS_PUTTRACE only). */
  private respondAt = 0;

  constructor(
    private readonly opts: UnaryFastPathOptions,
    private readonly method: FastMethod,
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    timeoutMs: number,
  ) {
    super(stream, headers, method.path, timeoutMs >= 0 ? Date.now() + timeoutMs : Infinity);
    method.counts.started++;
    this.reader = new GrpcMessageReader(opts.maxReceiveBytes);
    // A voter never becomes a learner again: only a call that starts on a learner is gated.
    this.gated = opts.isLearner();
    // As grpc-js: an error after the stream failed has nowhere to go. Plain on(), not
    // once(): each event comes once anyway, and once() wraps and later unhooks every listener.
    // No 'close' listener: a stream that went away is seen before anything is sent (isDone),
    // and the call listens for it only when its handler asks for 'cancelled'.
    stream.on('error', ignoreError);
    stream.on('data', this.onRequestEvent);
    stream.on('end', this.onRequestEvent);
    if (timeoutMs >= 0) this.timer = setTimeout(fireDeadline, timeoutMs, this);
  }

  /** 'data' (with its chunk) and 'end' (without): one listener for both, one closure less a call. */
  private readonly onRequestEvent = (chunk?: Buffer): void => {
    if (chunk === undefined) this.onEnd();
    else this.onData(chunk);
  };

  private onData(chunk: Buffer): void {
    if (this.done) return;
    const oversize = this.reader.feed(chunk, this);
    if (oversize > 0) this.finishUncounted({ code: GrpcStatus.RESOURCE_EXHAUSTED, details: oversizeDetails(oversize, this.opts.maxReceiveBytes) });
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
    if (this.gated && this.opts.isLearner() && !servedToLearner(this.method.path, message)) {
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

  private onEnd(): void {
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
    if (frame.length - PREFIX_BYTES > this.opts.maxSendBytes) {
      this.finishUncounted({ code: GrpcStatus.RESOURCE_EXHAUSTED, details: `Sent message larger than max (${frame.length} vs. ${this.opts.maxSendBytes})` });
      return;
    }
    countHandled(counts, GrpcStatus.OK, this.startedAt);
    this.done = true;
    this.clearTimer();
    const stream = this.stream;
    // The reply in three node calls instead of grpc-js's four: respond (with the headers
    // encoded once a second, h2-respond-now.ts), end with the one message, and the trailers
    // when node asks for them, sent in the same write as the message (h2-trailers-now.ts:
    // the client's call ends a loop turn sooner).
    if (putTrace.TRACE) this.respondAt = putTrace.noteRespond();
    respondWaitingForTrailers(stream, RESPONSE_HEADERS);
    this.okMetadata = trailer ?? null;
    stream.on('wantTrailers', this.onWantTrailers);
    stream.end(frame);
  };

  private readonly onWantTrailers = (): void => {
    if (putTrace.TRACE) putTrace.noteTrailers(this.stream, this.respondAt);
    sendTrailersNow(this.stream, okTrailers(this.okMetadata));
    this.markCancelled();
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
    this.stream.respond(statusHeaders(status, TRAILERS_ONLY_HEADERS), { endStream: true });
    this.markCancelled();
    // Whatever else the client sends is read and dropped.
    this.stream.resume();
  }

  onDeadline(): void {
    this.timer = undefined;
    this.finishUncounted({ code: GrpcStatus.DEADLINE_EXCEEDED, details: 'Deadline exceeded' });
  }

  /** grpc-js also treats a stream that closed or was destroyed before its 'close' as cancelled. */
  private isDone(): boolean {
    if (!this.done && (this.stream.destroyed || this.stream.closed)) this.cancel();
    return this.done;
  }

  /** The stream went away (the call listens only once its handler asked for 'cancelled'). */
  protected override streamClosed(): void {
    if (!this.done) this.cancel();
  }

  private cancel(): void {
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
