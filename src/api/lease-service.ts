// etcdserverpb.Lease over gRPC. Two answers differ from a plain error, as in etcd: a
// time-to-live for an unknown lease is a response with TTL -1, and a keep-alive for an
// unknown or expired lease is a response with TTL 0 on the still-open stream.

import type { ServerDuplexStream } from '@grpc/grpc-js';
import {
  LeaseGrantRequest,
  LeaseService,
  LeaseGrantResponse,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseLeasesRequest,
  LeaseLeasesResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
  type LeaseServer as LeaseServiceServer,
} from '../gen/etcdserverpb/rpc.js';
import { jsonRoute as route, type GatewayRoute } from './http-gateway.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { EtcdError, Errors, GrpcCode } from '../server/errors.js';
import type { LeaseServer } from '../server/lease-server.js';
import { toServiceError } from './grpc-errors.js';
import { unary } from './unary.js';

/** What the keep-alive answers need from the member (the fast path holds this much of it). */
export type LeaseApiHost = Pick<EtcdServer, 'leases' | 'header' | 'currentRevision'>;

export function leasesOf(server: LeaseApiHost): LeaseServer {
  if (!server.leases) throw new EtcdError(GrpcCode.Unimplemented, 'leases are not served by this member');
  return server.leases;
}

export async function timeToLiveOrExpired(server: EtcdServer, r: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse> {
  try {
    return await leasesOf(server).timeToLive(r);
  } catch (err) {
    if (err !== Errors.LeaseNotFound) throw err;
    return { header: server.header(server.currentRevision()), ID: r.ID, TTL: -1n, grantedTTL: 0n, keys: [] };
  }
}

export async function keepAliveOrGone(server: LeaseApiHost, id: bigint): Promise<LeaseKeepAliveResponse> {
  try {
    return await leasesOf(server).keepAlive(id);
  } catch (err) {
    if (err !== Errors.LeaseNotFound) throw err;
    return { header: server.header(server.currentRevision()), ID: id, TTL: 0n };
  }
}

/** Answers each keep-alive in order; an error other than "not found" ends the stream with its status. */
function keepAliveStream(server: EtcdServer) {
  return (call: ServerDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>): void => {
    let chain: Promise<void> = Promise.resolve();
    let ended = false;
    call.on('data', (req: LeaseKeepAliveRequest) => {
      chain = chain.then(async () => {
        if (ended) return;
        try {
          call.write(await keepAliveOrGone(server, req.ID));
        } catch (err) {
          ended = true;
          call.emit('error', toServiceError(err));
        }
      });
    });
    call.on('end', () => {
      void chain.then(() => {
        if (!ended) {
          ended = true;
          call.end();
        }
      });
    });
    call.on('cancelled', () => (ended = true));
  };
}

export function leaseService(server: EtcdServer): LeaseServiceServer {
  return {
    leaseGrant: unary((r) => leasesOf(server).grant(r)),
    leaseRevoke: unary((r) => leasesOf(server).revoke(r)),
    leaseKeepAlive: keepAliveStream(server),
    leaseTimeToLive: unary((r) => timeToLiveOrExpired(server, r)),
    leaseLeases: unary(async () => leasesOf(server).leases()),
  };
}

/** The lease paths of the JSON gateway, with etcd's /v3/kv/lease/* aliases. */
export function leaseGatewayRoutes(server: EtcdServer): [string, GatewayRoute][] {
  const revoke = route(LeaseService.leaseRevoke, LeaseRevokeRequest, LeaseRevokeResponse, (r) => leasesOf(server).revoke(r));
  const ttl = route(LeaseService.leaseTimeToLive, LeaseTimeToLiveRequest, LeaseTimeToLiveResponse, (r) => timeToLiveOrExpired(server, r));
  const leases = route(LeaseService.leaseLeases, LeaseLeasesRequest, LeaseLeasesResponse, async () => leasesOf(server).leases());
  return [
    ['/v3/lease/grant', route(LeaseService.leaseGrant, LeaseGrantRequest, LeaseGrantResponse, (r) => leasesOf(server).grant(r))],
    ['/v3/lease/revoke', revoke],
    ['/v3/kv/lease/revoke', revoke],
    ['/v3/lease/keepalive', { ...route(LeaseService.leaseKeepAlive, LeaseKeepAliveRequest, LeaseKeepAliveResponse, (r) => keepAliveOrGone(server, r.ID)), stream: true }],
    ['/v3/lease/timetolive', ttl],
    ['/v3/kv/lease/timetolive', ttl],
    ['/v3/lease/leases', leases],
    ['/v3/kv/lease/leases', leases],
  ];
}
