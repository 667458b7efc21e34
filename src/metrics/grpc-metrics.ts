// gRPC server metrics in go-grpc-prometheus's shape (the names etcd exports): a server
// interceptor counts every call's start, messages each way and final status code.

import {
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerMethodDefinition,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import type { Counter, Histogram } from 'prom-client';
import { performance } from 'node:perf_hooks';
import { counter, grpcHandled, histogram, grpcMsgReceived, grpcMsgSent, grpcStarted, onGrpcCountersRead } from './registry.js';
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

/**
 * grpc_server_handling_seconds, which etcd exports only under --metrics=extensive: from a
 * call's start to its status. Undefined (and no clock read per call) otherwise.
 */
let handlingSeconds: Histogram | undefined;

/** Turns on grpc_server_handling_seconds (before initServiceMetrics, so its series start at zero too). */
export function enableHandlingTimeHistogram(): void {
  // go-grpc-prometheus's default buckets, which are prometheus's (and prom-client's) defaults.
  handlingSeconds ??= histogram(
    'grpc_server_handling_seconds',
    'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ['grpc_type', 'grpc_service', 'grpc_method'],
  );
}

/** A call's start for countHandled's timing: 0 (no clock read) unless the histogram is on. */
export function handlingStart(): number {
  return handlingSeconds === undefined ? 0 : performance.now();
}

/** Pre-creates every series at zero, as etcd does, so rates work from the first scrape. */
export function initServiceMetrics(def: ServiceDefinition): void {
  for (const method of Object.values(def)) {
    const labels = labelsOf(method);
    handlingSeconds?.zero(labels);
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

/** A call's final status; `startedAt` is its handlingStart(), for the handling-time histogram. */
export function countHandled(counts: MethodCounts, code: number, startedAt = 0): void {
  counts.handled.set(code, (counts.handled.get(code) ?? 0) + 1);
  if (startedAt > 0) handlingSeconds?.observe(counts.labels, (performance.now() - startedAt) / 1000);
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
  const startedAt = handlingStart();
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
      countHandled(counts, status.code, startedAt);
      next(status);
    },
  });
}
