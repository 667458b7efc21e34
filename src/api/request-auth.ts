// Where a caller's auth token travels: gRPC metadata `token` (clientv3), or
// `authorization` (the gateway's header, also accepted over gRPC as etcd does).

import type http from 'node:http';
import type { Metadata } from '@grpc/grpc-js';
import type { RequestAuth } from '../server/auth-gate.js';
import { HeaderMetadata } from './unary-fast-call.js';

/** `md`: grpc-js's Metadata, or the fast paths' HeaderMetadata over the same headers. */
export function requestAuth(md: Pick<Metadata, 'get'>): RequestAuth {
  const v = md instanceof HeaderMetadata ? md.firstText('token') ?? md.firstText('authorization') : md.get('token')[0] ?? md.get('authorization')[0];
  return v === undefined ? NO_TOKEN : { token: String(v) };
}

/** The common answer, shared: nothing changes a RequestAuth once made. */
const NO_TOKEN: RequestAuth = Object.freeze({ token: undefined });

export function httpRequestAuth(req: http.IncomingMessage): RequestAuth {
  return { token: req.headers.authorization };
}
