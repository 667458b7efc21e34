// Serves plain unary gRPC calls straight off the HTTP/2 stream, without grpc-js's per-call
// machinery (intercepting-call layers, listeners, its stream decoder, read queue, promise per
// message): on a small put that machinery cost about a fifth of the member's CPU. It behaves
// as grpc-js with our interceptors (metrics, learner gate) does today: the same headers,
// DATA, trailers, status codes and texts, and the same grpc_server_* counts, which
// test/api/unary-fast-path.test.ts checks call by call against grpc-js. Anything it does not
// take on (streaming methods, compressed requests, a malformed grpc-timeout, unknown paths)
// goes on to grpc-js unchanged.

import type http2 from 'node:http2';
import type { Metadata, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { CLIENT_API_VERSION_KEY, countClientRequest, countsOf } from '../metrics/grpc-metrics.js';
import { peerOf } from './unary-fast-call.js';
import { framedSerializers, grpcFrame } from './grpc-message-reader.js';
import * as putTrace from '../metrics/put-trace.js';
import { sendTrailersNow } from './h2-trailers-now.js';
import { respondWaitingForTrailers } from './h2-respond-now.js';
import { ignoreError, okTrailers, RESPONSE_HEADERS } from './grpc-fast-status.js';
import { UnaryExchange, type FastMethod, type UnaryHandler, type UnaryLimits } from './unary-exchange.js';

export type UnaryFastPathOptions = UnaryLimits;

/** grpc-js's grpc-timeout parsing (server-interceptors.js). */
const DEADLINE = /(\d{1,8})\s*([HMSmun])/;
const UNIT_MS: Record<string, number> = { H: 3600000, M: 60000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** A call this path takes: its method and its deadline in ms (-1: none). */
export interface TakenCall {
  method: FastMethod;
  timeoutMs: number;
}

export class UnaryFastPath {
  private readonly methods = new Map<string, FastMethod>();

  constructor(readonly limits: UnaryFastPathOptions) {}

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

  /**
   * The call when it is a unary call this path handles (and counts it as a client request,
   * as grpc-js does when it takes one); undefined leaves it to grpc-js.
   */
  take(headers: http2.IncomingHttpHeaders): TakenCall | undefined {
    const method = this.methods.get(headers[':path'] ?? '');
    if (method === undefined) return undefined;
    const encoding = headers['grpc-encoding'];
    if (encoding !== undefined && encoding !== 'identity') return undefined;
    let timeoutMs = -1;
    const timeout = headers['grpc-timeout'];
    if (timeout !== undefined) {
      const match = DEADLINE.exec(String(timeout));
      if (match === null) return undefined;
      timeoutMs = (Number(match[1]) * UNIT_MS[match[2]!]!) | 0;
    }
    countClientRequest('unary', headers[CLIENT_API_VERSION_KEY]);
    return { method, timeoutMs };
  }

  /** Serves the stream when it is a unary call this path handles; false leaves it to grpc-js. */
  tryServe(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean {
    const taken = this.take(headers);
    if (taken === undefined) return false;
    new NodeStreamExchange(this.limits, taken.method, stream, headers, taken.timeoutMs);
    return true;
  }
}

/** The serializer's framed twin, or grpcFrame after it. */
function framedSerializer(serialize: (value: unknown) => Buffer): (value: unknown) => Buffer {
  return (framedSerializers.get(serialize) as ((value: unknown) => Buffer) | undefined) ?? ((value) => grpcFrame(serialize(value)));
}

/**
 * A unary call on a node:http2 stream. Its functions per call are the three node and the
 * handler need (request events, the handler's callback, the trailers' turn).
 */
class NodeStreamExchange extends UnaryExchange {
  /** The metadata of the OK status the trailers will carry (null: none). */
  private okMetadata: Metadata | null = null;
  /** When respond() ran (ETCD_TS_PUTTRACE only). */
  private respondAt = 0;

  constructor(limits: UnaryLimits, method: FastMethod, private readonly stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, timeoutMs: number) {
    super(limits, method, headers, timeoutMs);
    // As grpc-js: an error after the stream failed has nowhere to go. Plain on(), not
    // once(): each event comes once anyway, and once() wraps and later unhooks every listener.
    // No 'close' listener: a stream that went away is seen before anything is sent (isDone),
    // and the call listens for it only when its handler asks for 'cancelled'.
    stream.on('error', ignoreError);
    stream.on('data', this.onRequestEvent);
    stream.on('end', this.onRequestEvent);
  }

  /** 'data' (with its chunk) and 'end' (without): one listener for both, one closure less a call. */
  private readonly onRequestEvent = (chunk?: Buffer): void => {
    if (chunk === undefined) this.requestEnd();
    else this.requestData(chunk);
  };

  getPeer(): string {
    return peerOf(this.stream.session?.socket);
  }

  protected whenStreamCloses(f: () => void): void {
    if (this.stream.closed || this.stream.destroyed) process.nextTick(f);
    else this.stream.once('close', f);
  }

  protected streamGone(): boolean {
    return this.stream.destroyed || this.stream.closed;
  }

  protected sendReply(frame: Buffer, trailer: Metadata | null): void {
    const stream = this.stream;
    // The reply in three node calls instead of grpc-js's four: respond (with the headers
    // encoded once a second, h2-respond-now.ts), end with the one message, and the trailers
    // when node asks for them, sent in the same write as the message (h2-trailers-now.ts:
    // the client's call ends a loop turn sooner).
    if (putTrace.TRACE) this.respondAt = putTrace.noteRespond();
    respondWaitingForTrailers(stream, RESPONSE_HEADERS);
    this.okMetadata = trailer;
    stream.on('wantTrailers', this.onWantTrailers);
    stream.end(frame);
  }

  private readonly onWantTrailers = (): void => {
    if (putTrace.TRACE) putTrace.noteTrailers(this.stream, this.respondAt);
    sendTrailersNow(this.stream, okTrailers(this.okMetadata));
    this.markCancelled();
  };

  protected sendStatus(headers: http2.OutgoingHttpHeaders): void {
    this.stream.respond(headers, { endStream: true });
    // Whatever else the client sends is read and dropped.
    this.stream.resume();
  }
}
