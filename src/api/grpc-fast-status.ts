// What the gRPC fast paths (unary-fast-path.ts, watch-fast-path.ts) send besides messages,
// written as grpc-js writes it, so a client cannot tell which path served a call: the
// response headers, statuses in trailers or in a trailers-only answer, and the status a
// handler's error becomes.

import type http2 from 'node:http2';
import { status as GrpcStatus, type Metadata } from '@grpc/grpc-js';

/** The response headers grpc-js sends before the first message (frozen: h2-respond-now.ts encodes them once). */
export const RESPONSE_HEADERS: Readonly<http2.OutgoingHttpHeaders> = Object.freeze({
  ':status': 200,
  'content-type': 'application/grpc+proto',
  'grpc-accept-encoding': 'identity,deflate,gzip',
  'grpc-encoding': 'identity',
});

export interface Status {
  code: number;
  details: string;
  metadata?: Metadata | null;
}

/** Stream errors after the call ended have nowhere to go. */
export function ignoreError(): void {}

/** grpc-js puts the underlying error's text into a few of its own statuses when this is set. */
export const SEND_ERROR_DETAILS = (process.env['GRPC_NODE_DEBUG_SEND_ERROR_DETAILS'] ?? 'false') === 'true';

export function withDetails(details: string, err: unknown): string {
  return SEND_ERROR_DETAILS ? `${details}: ${err instanceof Error ? err.message : String(err)}` : details;
}

/** What a trailers-only answer (a status with no message) carries beside the status, as grpc-js sends it. */
export const TRAILERS_ONLY_HEADERS: http2.OutgoingHttpHeaders = { ':status': 200, 'content-type': 'application/grpc+proto' };

/**
 * The trailers of an OK status without metadata, the commonest answer: statusHeaders'
 * output for it, made once (node copies trailers before it reads them).
 */
export const OK_TRAILERS: Readonly<http2.OutgoingHttpHeaders> = Object.freeze({ 'grpc-status': GrpcStatus.OK, 'grpc-message': 'OK' });

/** statusHeaders of an OK status carrying `metadata` (none: OK_TRAILERS). */
export function okTrailers(metadata: Metadata | null | undefined): http2.OutgoingHttpHeaders {
  return metadata ? statusHeaders({ code: GrpcStatus.OK, details: 'OK', metadata }) : OK_TRAILERS;
}

/** A status as grpc-js writes it: grpc-status, grpc-message, then `leading` and the status's metadata. */
export function statusHeaders(status: Status, leading?: http2.OutgoingHttpHeaders): http2.OutgoingHttpHeaders {
  const h: http2.OutgoingHttpHeaders = { 'grpc-status': status.code, 'grpc-message': encodeURI(status.details) };
  if (leading) Object.assign(h, leading);
  const md = status.metadata;
  return md ? Object.assign(h, md.toHttp2Headers()) : h;
}

/** The status grpc-js derives from a handler's callback error (serverErrorToStatus). */
export function statusOfError(err: unknown, trailer: Metadata | undefined): Status {
  const e = err as { message?: unknown; code?: unknown; details?: unknown; metadata?: Metadata | null };
  const status: Status = { code: GrpcStatus.UNKNOWN, details: 'message' in e ? String(e.message) : 'Unknown Error', metadata: trailer ?? e.metadata ?? null };
  if (typeof e.code === 'number' && Number.isInteger(e.code)) {
    status.code = e.code;
    if (typeof e.details === 'string') status.details = e.details;
  }
  return status;
}

