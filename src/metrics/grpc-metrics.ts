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

export function grpcMetricsInterceptor(
  method: ServerMethodDefinition<unknown, unknown>,
  call: ServerInterceptingCallInterface,
): ServerInterceptingCall {
  const labels = labelsOf(method);
  grpcStarted.inc(labels);
  return new ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMessage: (message, nextMessage) => {
          grpcMsgReceived.inc(labels);
          nextMessage(message);
        },
      }),
    sendMessage: (message, next) => {
      grpcMsgSent.inc(labels);
      next(message);
    },
    sendStatus: (status, next) => {
      grpcHandled.inc({ ...labels, grpc_code: CODE_NAMES[status.code] ?? 'Unknown' });
      next(status);
    },
  });
}
