// Keep-alive and time-to-live forwarding from a follower to the leader over the peer
// port, with etcd's endpoints and wire format (etcd's leasehttp), so etcd-ts and etcd
// members can forward to each other:
//   POST /leases           body: LeaseKeepAliveRequest    answer: LeaseKeepAliveResponse
//   POST /leases/internal  body: LeaseInternalRequest     answer: LeaseInternalResponse
// (LeaseInternalRequest/Response wrap the time-to-live messages as field 1.) Bodies are
// protobuf, Content-Type application/protobuf. A lease the leader does not know is HTTP
// 404 with etcd's message; any other refusal is 400 with the error's text.
//
// start-etcd mounts `leasePeerRoutes` on the peer listener and installs an
// `HttpLeaseForwarder` as `server.leases.forwarder`, given a way to find the leader's
// peer URLs and the member's peer TLS.

import type http from 'node:http';
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { LeaseKeepAliveRequest, LeaseKeepAliveResponse, LeaseTimeToLiveRequest, LeaseTimeToLiveResponse } from '../gen/etcdserverpb/rpc.js';
import { EtcdError, Errors, GrpcCode } from './errors.js';
import type { LeaseForwarder, LeaseServer } from './lease-server.js';
import { fetchPeer, type PeerClientTls } from '../transport/peer-http.js';

export const LEASE_KEEPALIVE_PATH = '/leases';
export const LEASE_INTERNAL_PATH = '/leases/internal';
/** A forwarded request gives up after this long (etcd uses the request's context; 5 s is its request timeout floor). */
export const FORWARD_TIMEOUT_MS = 5000;
/** Peer lease requests are tiny; anything larger is refused unread. */
const MAX_BODY_BYTES = 64 * 1024;

function wrapField1(inner: Uint8Array): Buffer {
  return Buffer.from(new BinaryWriter().uint32(10).bytes(inner).finish());
}

function unwrapField1(b: Uint8Array): Uint8Array {
  const r = new BinaryReader(b);
  let inner: Uint8Array = new Uint8Array();
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) inner = r.bytes();
    else r.skip(tag & 7);
  }
  return inner;
}

export interface PeerAnswer {
  status: number;
  body: Buffer;
  contentType: string;
}

const text = (status: number, message: string): PeerAnswer => ({ status, body: Buffer.from(`${message}\n`), contentType: 'text/plain; charset=utf-8' });

/** Answers one peer lease request on the leader. */
export async function answerLeasePeerRequest(leases: LeaseServer, path: string, body: Uint8Array): Promise<PeerAnswer> {
  try {
    if (path === LEASE_KEEPALIVE_PATH) {
      const req = LeaseKeepAliveRequest.decode(body);
      const { ttlSec } = leases.lessor.renew(req.ID);
      const resp = LeaseKeepAliveResponse.fromPartial({ ID: req.ID, TTL: BigInt(ttlSec) });
      return { status: 200, body: Buffer.from(LeaseKeepAliveResponse.encode(resp).finish()), contentType: 'application/protobuf' };
    }
    const req = LeaseTimeToLiveRequest.decode(unwrapField1(body));
    const l = leases.lessor.lookup(req.ID);
    if (!l) throw Errors.LeaseNotFound;
    const resp = LeaseTimeToLiveResponse.fromPartial({
      header: {},
      ID: req.ID,
      TTL: BigInt(l.remainingSec(leases.lessor.clock.nowMs())),
      grantedTTL: BigInt(l.ttlSec),
      keys: req.keys ? l.sortedKeys() : [],
    });
    return { status: 200, body: wrapField1(LeaseTimeToLiveResponse.encode(resp).finish()), contentType: 'application/protobuf' };
  } catch (err) {
    if (err === Errors.LeaseNotFound) return text(404, Errors.LeaseNotFound.message);
    return text(400, err instanceof Error ? err.message : String(err));
  }
}

/** The lease endpoints as peer routes by path (none when the member has no lessor). */
export function leasePeerRoutes(leases: LeaseServer | undefined): Record<string, http.RequestListener> {
  if (!leases) return {};
  const handle = leasePeerHandler(leases);
  const route: http.RequestListener = (req, res) => {
    handle(req, res);
  };
  return { [LEASE_KEEPALIVE_PATH]: route, [LEASE_INTERNAL_PATH]: route };
}

/** An http handler for the peer listener; returns false for paths that are not lease paths. */
export function leasePeerHandler(leases: LeaseServer): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== LEASE_KEEPALIVE_PATH && path !== LEASE_INTERNAL_PATH) return false;
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST' });
      res.end('Method Not Allowed\n');
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      void answerLeasePeerRequest(leases, path, Buffer.concat(chunks)).then((a) => {
        res.writeHead(a.status, { 'Content-Type': a.contentType });
        res.end(a.body);
      });
    });
    return true;
  };
}

/** Forwards to the leader's peer URLs (first that answers), with the member's peer TLS. */
export class HttpLeaseForwarder implements LeaseForwarder {
  constructor(
    private readonly peerUrlsOf: (memberId: bigint) => string[],
    private readonly tls?: PeerClientTls,
  ) {}

  async keepAlive(leader: bigint, id: bigint): Promise<LeaseKeepAliveResponse> {
    const body = await this.post(leader, LEASE_KEEPALIVE_PATH, LeaseKeepAliveRequest.encode({ ID: id }).finish());
    return LeaseKeepAliveResponse.decode(body);
  }

  async timeToLive(leader: bigint, r: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse> {
    const body = await this.post(leader, LEASE_INTERNAL_PATH, wrapField1(LeaseTimeToLiveRequest.encode(r).finish()));
    return LeaseTimeToLiveResponse.decode(unwrapField1(body));
  }

  private async post(leader: bigint, path: string, body: Uint8Array): Promise<Uint8Array> {
    let last: unknown = Errors.NoLeader;
    for (const url of this.peerUrlsOf(leader)) {
      try {
        const res = await fetchPeer(new URL(`${url.replace(/\/$/, '')}${path}`), { method: 'POST', headers: { 'Content-Type': 'application/protobuf' }, body, timeoutMs: FORWARD_TIMEOUT_MS }, this.tls);
        if (res.status === 404) throw Errors.LeaseNotFound;
        if (res.status !== 200) throw new EtcdError(GrpcCode.Unavailable, res.body.trim());
        return res.raw;
      } catch (err) {
        if (err === Errors.LeaseNotFound) throw err;
        last = err;
      }
    }
    throw last instanceof EtcdError ? last : Errors.Timeout;
  }
}
