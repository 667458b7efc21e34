// Turns server errors into gRPC statuses: etcd's message becomes the status details,
// which is what clients (clientv3, etcdctl) print and match on.

import { status as GrpcStatus, type ServiceError, Metadata } from '@grpc/grpc-js';
import { EtcdError } from '../server/errors.js';

export function toServiceError(err: unknown): Partial<ServiceError> {
  if (err instanceof EtcdError) {
    return { code: err.code, details: err.message, message: err.message, metadata: new Metadata() };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: GrpcStatus.UNKNOWN, details: message, message, metadata: new Metadata() };
}
