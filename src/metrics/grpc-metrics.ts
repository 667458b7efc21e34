// gRPC server metrics in go-grpc-prometheus's shape (the names etcd exports): a server
// interceptor counts every call's start, messages each way and final status code.

import {
  ServerInterceptingCall,
  status as GrpcStatus,
  type ServerInterceptingCallInterface,
  type ServerMethodDefinition,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { grpcHandled, grpcMsgReceived, grpcMsgSent, grpcStarted } from './registry.js';

/** Go's names for gRPC status codes, which label grpc_code. */
const CODE_NAMES: Record<number, string> = {
  [GrpcStatus.OK]: 'OK',
  [GrpcStatus.CANCELLED]: 'Canceled',
  [GrpcStatus.UNKNOWN]: 'Unknown',
  [GrpcStatus.INVALID_ARGUMENT]: 'InvalidArgument',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'DeadlineExceeded',
  [GrpcStatus.NOT_FOUND]: 'NotFound',
  [GrpcStatus.ALREADY_EXISTS]: 'AlreadyExists',
  [GrpcStatus.PERMISSION_DENIED]: 'PermissionDenied',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'ResourceExhausted',
  [GrpcStatus.FAILED_PRECONDITION]: 'FailedPrecondition',
  [GrpcStatus.ABORTED]: 'Aborted',
  [GrpcStatus.OUT_OF_RANGE]: 'OutOfRange',
  [GrpcStatus.UNIMPLEMENTED]: 'Unimplemented',
  [GrpcStatus.INTERNAL]: 'Internal',
  [GrpcStatus.UNAVAILABLE]: 'Unavailable',
  [GrpcStatus.DATA_LOSS]: 'DataLoss',
  [GrpcStatus.UNAUTHENTICATED]: 'Unauthenticated',
};

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
    for (const code of Object.values(CODE_NAMES)) grpcHandled.inc({ ...labels, grpc_code: code }, 0);
  }
}

/** One method's series, resolved once: prom-client hashes a label object on every inc(). */
interface MethodSeries {
  started: { inc(): void };
  received: { inc(): void };
  sent: { inc(): void };
  handled: Map<number, { inc(): void }>;
  labels: ReturnType<typeof labelsOf>;
}

const seriesByPath = new Map<string, MethodSeries>();

function seriesOf(method: MethodShape): MethodSeries {
  let s = seriesByPath.get(method.path);
  if (s === undefined) {
    const labels = labelsOf(method);
    s = { started: grpcStarted.labels(labels), received: grpcMsgReceived.labels(labels), sent: grpcMsgSent.labels(labels), handled: new Map(), labels };
    seriesByPath.set(method.path, s);
  }
  return s;
}

function handledSeries(s: MethodSeries, code: number): { inc(): void } {
  let h = s.handled.get(code);
  if (h === undefined) {
    h = grpcHandled.labels({ ...s.labels, grpc_code: CODE_NAMES[code] ?? 'Unknown' });
    s.handled.set(code, h);
  }
  return h;
}

export function grpcMetricsInterceptor(
  method: ServerMethodDefinition<unknown, unknown>,
  call: ServerInterceptingCallInterface,
): ServerInterceptingCall {
  const series = seriesOf(method);
  series.started.inc();
  return new ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMessage: (message, nextMessage) => {
          series.received.inc();
          nextMessage(message);
        },
      }),
    sendMessage: (message, next) => {
      series.sent.inc();
      next(message);
    },
    sendStatus: (status, next) => {
      handledSeries(series, status.code).inc();
      next(status);
    },
  });
}
