// Keep-alive and time-to-live forwarding from a follower to the leader over the peer
// port, with etcd's endpoints and wire format (etcd's leasehttp), so etcd-ts and etcd
// members can forward to each other:
//   POST /leases           body: LeaseKeepAliveRequest    answer: LeaseKeepAliveResponse
//   POST /leases/internal  body: LeaseInternalRequest     answer: LeaseInternalResponse
// (LeaseInternalRequest/Response wrap the time-to-live messages as field 1.) Bodies are
// protobuf, Content-Type application/protobuf. A lease the leader does not know is HTTP
// 404 with the text of etcd's lessor error ("lease not found", not the gRPC error's
// "etcdserver: requested lease not found"); any other refusal is 400 with the error's
// text. The follower turns a 404 back into the gRPC error.
//
// start-etcd mounts `leasePeerRoutes` on the peer listener and installs an
// `HttpLeaseForwarder` as `server.leases.forwarder`, given a way to find the leader's
// peer URLs and the member's peer TLS.
//
// Cost: every client keep-alive a follower receives becomes one POST, so the follower
// sends them pipelined over a few persistent connections (peer-pipeline.ts) and the
// leader answers a keep-alive without promises or streams beyond node's own.

import type http from 'node:http';
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { LeaseKeepAliveRequest, LeaseKeepAliveResponse, LeaseTimeToLiveRequest, LeaseTimeToLiveResponse } from '../gen/etcdserverpb/rpc.js';
import { EtcdError, Errors, GrpcCode } from './errors.js';
import type { LeaseForwarder, LeaseServer } from './lease-server.js';
import type { PeerClientTls } from '../transport/peer-http.js';
import { PeerPipeline } from './peer-pipeline.js';

export const LEASE_KEEPALIVE_PATH = '/leases';
export const LEASE_INTERNAL_PATH = '/leases/internal';
/** What an etcd-ts follower asks a leader to upgrade its forwarding connections to (lease-peer-upgrade.ts). */
export const LEASE_PIPELINE_PROTOCOL = 'etcd-ts-lease-pipeline/1';
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

const PROTOBUF = 'application/protobuf';
/** etcd's lease.ErrLeaseNotFound text, which its leader sends with the 404 (checked against etcd 3.4.23). */
const LESSOR_LEASE_NOT_FOUND = 'lease not found';
const keepAliveAnswer = (id: bigint, ttlSec: number): PeerAnswer => ({
  status: 200,
  body: Buffer.from(LeaseKeepAliveResponse.encode({ header: undefined, ID: id, TTL: BigInt(ttlSec) }).finish()),
  contentType: PROTOBUF,
});

function refusal(err: unknown): PeerAnswer {
  if (err === Errors.LeaseNotFound) return text(404, LESSOR_LEASE_NOT_FOUND);
  return text(400, err instanceof Error ? err.message : String(err));
}

/**
 * Answers one peer lease request on the leader; synchronous for a keep-alive whose
 * lessor is primary (the common case), a promise otherwise.
 */
export function answerLeasePeerRequest(leases: LeaseServer, path: string, body: Uint8Array): PeerAnswer | Promise<PeerAnswer> {
  try {
    if (path === LEASE_KEEPALIVE_PATH) {
      const { ID } = LeaseKeepAliveRequest.decode(body);
      const ttl = leases.renewAsLeader(ID);
      return typeof ttl === 'number' ? keepAliveAnswer(ID, ttl) : ttl.then((t) => keepAliveAnswer(ID, t), refusal);
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
    return { status: 200, body: wrapField1(LeaseTimeToLiveResponse.encode(resp).finish()), contentType: PROTOBUF };
  } catch (err) {
    return refusal(err);
  }
}

function send(res: http.ServerResponse, a: PeerAnswer): void {
  // Explicit length: node then skips chunked framing, and the answer leaves in one write.
  res.writeHead(a.status, ['Content-Type', a.contentType, 'Content-Length', String(a.body.length)]);
  res.end(a.body);
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
      const a = answerLeasePeerRequest(leases, path, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      if ('status' in a) send(res, a);
      else void a.then((answer) => send(res, answer));
    });
    return true;
  };
}

/** Forwards to the leader's peer URLs (first that answers), with the member's peer TLS. */
export class HttpLeaseForwarder implements LeaseForwarder {
  /** One pipeline per peer URL, kept across requests (the leader rarely changes). */
  private readonly pipelines = new Map<string, PeerPipeline>();

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

  /** Ends the kept connections (their unanswered requests fail). */
  close(): void {
    for (const p of this.pipelines.values()) p.close();
    this.pipelines.clear();
  }

  private pipeline(url: string): PeerPipeline {
    let p = this.pipelines.get(url);
    if (!p) {
      p = new PeerPipeline(new URL(url), this.tls, FORWARD_TIMEOUT_MS, { path: LEASE_KEEPALIVE_PATH, protocol: LEASE_PIPELINE_PROTOCOL });
      this.pipelines.set(url, p);
    }
    return p;
  }

  private async post(leader: bigint, path: string, body: Uint8Array): Promise<Uint8Array> {
    let last: unknown = Errors.NoLeader;
    for (const url of this.peerUrlsOf(leader)) {
      try {
        const res = await this.pipeline(url).post(path, PROTOBUF, body);
        if (res.status === 404) throw Errors.LeaseNotFound;
        if (res.status !== 200) throw new EtcdError(GrpcCode.Unavailable, res.body.toString('utf8').trim());
        return res.body;
      } catch (err) {
        if (err === Errors.LeaseNotFound) throw err;
        last = err;
      }
    }
    throw last instanceof EtcdError ? last : Errors.Timeout;
  }
}
