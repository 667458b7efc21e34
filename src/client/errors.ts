// Errors the client raises: the gRPC status code plus etcd's message (the status details),
// with the wording etcdctl users see.

import type { ServiceError } from '@grpc/grpc-js';
import { GRPC_CODE_NAMES, GrpcCode } from '../pkg/grpc-codes.js';

export { GRPC_CODE_NAMES };

/** A failed call: gRPC's status code and etcd's message (the status details). */
export class ClientError extends Error {
  constructor(
    readonly code: number,
    message: string,
    /** The endpoint (address form) that answered with the error, when one did. */
    readonly endpoint?: string,
    /** The status description as Go's gRPC would word it, when it differs from `message`. */
    readonly goDetails?: string,
  ) {
    super(message);
    this.name = 'ClientError';
  }

  /** The status as Go's gRPC prints it. */
  get grpcText(): string {
    return `rpc error: code = ${GRPC_CODE_NAMES[this.code] ?? this.code} desc = ${this.goDetails ?? this.message}`;
  }

  /**
   * The error as clientv3 shows it: etcd's own errors (recognised by their message) as
   * the bare message, anything else as the full gRPC status.
   */
  get userText(): string {
    if (this.code === GrpcCode.DeadlineExceeded || this.message.startsWith('etcdserver: ')) return this.message;
    return this.grpcText;
  }
}

/** Go's wording for a deadline that passed (context.DeadlineExceeded). */
export const DEADLINE_TEXT = 'context deadline exceeded';

/** The message etcd answers when a token expired or was never valid. */
export const INVALID_AUTH_TOKEN = 'etcdserver: invalid auth token';

/** grpc-js's details for a call that failed before any byte reached a server. */
export function neverSent(e: ServiceError): boolean {
  const d = e.details ?? '';
  return e.code === GrpcCode.Unavailable && (/No connection established/.test(d) || d.startsWith('Name resolution failed'));
}

/** Converts a grpc-js error, keeping etcd's message (the details) as the message. */
export function fromServiceError(e: ServiceError, endpoint: string): ClientError {
  const code = e.code ?? GrpcCode.Unknown;
  if (code === GrpcCode.DeadlineExceeded) return new ClientError(code, DEADLINE_TEXT, endpoint);
  return new ClientError(code, e.details || e.message, endpoint);
}

/**
 * Go's description of the last dial failure, which clientv3 reports when a deadline passes
 * without a connection (etcdctl prints it in its retry warning).
 */
export function goDialError(lastError: ClientError | undefined, address: string): string | undefined {
  if (lastError === undefined) return undefined;
  if (/ECONNREFUSED/.test(lastError.message)) {
    return `latest balancer error: connection error: desc = "transport: Error while dialing dial tcp ${address}: connect: connection refused"`;
  }
  return undefined;
}
