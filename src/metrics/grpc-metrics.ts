// gRPC server metrics in go-grpc-prometheus's shape (the names etcd exports): a server
// interceptor counts every call's start, messages each way and final status code.

import {
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerMethodDefinition,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import type { Counter } from 'prom-client';
import { counter, grpcHandled, grpcMsgReceived, grpcMsgSent, grpcStarted, onGrpcCountersRead } from './registry.js';
import { GRPC_CODE_NAMES } from '../pkg/grpc-codes.js';


interface MethodShape {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
}

function labelsOf(method: MethodShape): { grpc_type: string; grpc_service: string; grpc_method: string } {
  const [, service = '', name = ''] = method.path.split('/');
  const type = method.requestStream
    ? method.responseStream
      ? 'bidi_stream'
      : 'client_stream'
    : method.responseStream
      ? 'server_stream'
      : 'unary';
  return { grpc_type: type, grpc_service: service, grpc_method: name };
}

/** Pre-creates every series at zero, as etcd does, so rates work from the first scrape. */
export function initServiceMetrics(def: ServiceDefinition): void {
  for (const method of Object.values(def)) {
    const labels = labelsOf(method);
    grpcStarted.inc(labels, 0);
    grpcMsgReceived.inc(labels, 0);
    grpcMsgSent.inc(labels, 0);
    for (const code of GRPC_CODE_NAMES) grpcHandled.inc({ ...labels, grpc_code: code }, 0);
  }
}

/**
 * One method's counts since the last read of the counters, resolved once per method. Plain
 * numbers: prom-client hashes a label object on every inc(), even on a labels() child.
 */
export interface MethodCounts {
  labels: ReturnType<typeof labelsOf>;
  started: number;
  received: number;
  sent: number;
  handled: Map<number, number>;
}

const countsByPath = new Map<string, MethodCounts>();

/** The counters one method's calls feed; the unary fast path (src/api/unary-fast-path.ts) counts into them too. */
export function countsOf(method: MethodShape): MethodCounts {
  let c = countsByPath.get(method.path);
  if (c === undefined) {
    c = { labels: labelsOf(method), started: 0, received: 0, sent: 0, handled: new Map() };
    countsByPath.set(method.path, c);
  }
  return c;
}

/** Calls started plus stream messages received, flushed into prom-client so far. */
let flushedRequests = 0;

/** Calls started plus stream messages received since the start: moves with any client work. */
export function grpcRequestsSeen(): number {
  let n = flushedRequests;
  for (const c of countsByPath.values()) n += c.started + c.received;
  return n;
}

/** Moves the pending counts into the prom-client counters (run when any of them is read). */
function flushCounts(): void {
  for (const c of countsByPath.values()) {
    flushedRequests += c.started + c.received;
    if (c.started > 0) grpcStarted.inc(c.labels, c.started);
    if (c.received > 0) grpcMsgReceived.inc(c.labels, c.received);
    if (c.sent > 0) grpcMsgSent.inc(c.labels, c.sent);
    c.started = c.received = c.sent = 0;
    for (const [code, n] of c.handled) {
      if (n > 0) grpcHandled.inc({ ...c.labels, grpc_code: GRPC_CODE_NAMES[code] ?? 'Unknown' }, n);
    }
    c.handled.clear();
  }
}
onGrpcCountersRead(flushCounts);

export function countHandled(counts: MethodCounts, code: number): void {
  counts.handled.set(code, (counts.handled.get(code) ?? 0) + 1);
}

/** The metadata key a client declares its API version in (etcd's clients send "3.4"). */
export const CLIENT_API_VERSION_KEY = 'client-api-version';

/** Calls by kind, then declared client version, since the last read, as plain numbers (no key built per call). */
const clientRequests = { unary: new Map<string, { version: string; n: number }>(), stream: new Map<string, { version: string; n: number }>() };

const clientRequestsTotal: Counter = counter('etcd_server_client_requests_total', 'The total number of client requests per client version.', ['type', 'client_api_version'], () => {
  for (const type of ['unary', 'stream'] as const) {
    for (const c of clientRequests[type].values()) {
      if (c.n > 0) clientRequestsTotal.inc({ client_api_version: c.version, type }, c.n);
      c.n = 0;
    }
  }
});

/**
 * Counts a call for etcd_server_client_requests_total: `type` "unary" or "stream" (any
 * streaming call), `version` the client's client-api-version metadata ("unknown" without).
 */
export function countClientRequest(type: 'unary' | 'stream', version: string | string[] | undefined): void {
  const v = (Array.isArray(version) ? version[0] : version) ?? 'unknown';
  const byVersion = clientRequests[type];
  const c = byVersion.get(v);
  if (c !== undefined) c.n++;
  else byVersion.set(v, { version: v, n: 1 });
}

export function grpcMetricsInterceptor(
  method: ServerMethodDefinition<unknown, unknown>,
  call: ServerInterceptingCallInterface,
): ServerInterceptingCall {
  const counts = countsOf(method);
  counts.started++;
  const type = method.requestStream || method.responseStream ? 'stream' : 'unary';
  return new ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMetadata: (metadata, nextMetadata) => {
          countClientRequest(type, metadata.get(CLIENT_API_VERSION_KEY).map(String));
          nextMetadata(metadata);
        },
        onReceiveMessage: (message, nextMessage) => {
          counts.received++;
          nextMessage(message);
        },
      }),
    sendMessage: (message, next) => {
      counts.sent++;
      next(message);
    },
    sendStatus: (status, next) => {
      countHandled(counts, status.code);
      next(status);
    },
  });
}
