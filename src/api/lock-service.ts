// v3lockpb.Lock over gRPC and the JSON gateway (/v3/lock/lock, /v3/lock/unlock). The
// mutex recipe runs against this member with the caller's credentials; a caller that
// goes away while waiting for the lock withdraws from the queue.

import type { ServerUnaryCall } from '@grpc/grpc-js';
import { LockRequest, LockResponse, LockService, UnlockRequest, UnlockResponse, type LockServer } from '../gen/v3lockpb/v3lock.js';
import { lock, unlock } from '../concurrency/lock-api.js';
import { serverKv } from '../concurrency/server-kv.js';
import type { EtcdServer } from '../server/etcd-server.js';
import type { GatewayRoute, JsonCodec } from './http-gateway.js';
import type { GrpcMethod } from './gateway-grpc-call.js';
import { requestAuth } from './request-auth.js';
import { unary } from './unary.js';

/** Aborts when the gRPC caller cancels (or its deadline passes). */
export function callSignal(call: { on(event: 'cancelled', listener: () => void): unknown; cancelled?: boolean }): AbortSignal {
  const ac = new AbortController();
  if (call.cancelled) ac.abort();
  else call.on('cancelled', () => ac.abort());
  return ac.signal;
}

export function lockService(server: EtcdServer): LockServer {
  return {
    lock: unary((r: LockRequest, call: ServerUnaryCall<LockRequest, LockResponse>) => lock(serverKv(server, requestAuth(call.metadata)), r, callSignal(call))),
    unlock: unary((r: UnlockRequest, call: ServerUnaryCall<UnlockRequest, UnlockResponse>) => unlock(serverKv(server, requestAuth(call.metadata)), r)),
  };
}

/** A gateway route whose handler also learns when the HTTP caller hangs up. */
export function cancelableRoute<Req, Res>(
  method: GrpcMethod<Req, Res>,
  reqCodec: JsonCodec<Req>,
  resCodec: JsonCodec<Res>,
  handle: (r: Req, kv: ReturnType<typeof serverKv>, signal: AbortSignal) => Promise<Res>,
  server: EtcdServer,
): GatewayRoute {
  return {
    method,
    decode: (json) => reqCodec.fromJSON(json),
    encode: (resp) => resCodec.toJSON(resp as Res),
    handle: (req, auth, signal) => handle(req as Req, serverKv(server, auth ?? {}), signal ?? new AbortController().signal),
  };
}

export function lockGatewayRoutes(server: EtcdServer): [string, GatewayRoute][] {
  return [
    ['/v3/lock/lock', cancelableRoute(LockService.lock, LockRequest, LockResponse, (r, kv, signal) => lock(kv, r, signal), server)],
    ['/v3/lock/unlock', cancelableRoute(LockService.unlock, UnlockRequest, UnlockResponse, (r, kv) => unlock(kv, r), server)],
  ];
}
