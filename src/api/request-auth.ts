// Where a caller's auth token travels: gRPC metadata `token` (clientv3), or
// `authorization` (the gateway's header, also accepted over gRPC as etcd does).

import type http from 'node:http';
import type { Metadata } from '@grpc/grpc-js';
import type { RequestAuth } from '../server/auth-gate.js';

/** `md`: grpc-js's Metadata, or the fast paths' HeaderMetadata over the same headers. */
export function requestAuth(md: Pick<Metadata, 'get'>): RequestAuth {
  const v = md.get('token')[0] ?? md.get('authorization')[0];
  return { token: v === undefined ? undefined : String(v) };
}

export function httpRequestAuth(req: http.IncomingMessage): RequestAuth {
  return { token: req.headers.authorization };
}
