// HashKV between members over the peer port, for the corruption checks: etcd's
// `GET /members/hashkv` with a JSON HashKVRequest body, answered with a JSON
// HashKVResponse. Both sides speak etcd's wire format (Go encoding/json of the protobuf
// structs: snake_case names, int64 as JSON numbers, zero values left out), so etcd-ts and
// etcd members can check each other.
//
// Refusals are etcd's too: 405 for another method, 412 "cluster ID mismatch" when the
// caller names another cluster, 400 with the mvcc error text when the revision is
// compacted or in the future; the client turns those texts back into the reasons the
// checks tell apart.

import type http from 'node:http';
import type { HashKVResponse } from '../gen/etcdserverpb/rpc.js';
import { ErrCompacted, ErrFutureRev } from '../mvcc/errors.js';
import { formatId } from '../pkg/ids.js';
import { Errors } from '../server/errors.js';
import type { CorruptionLog, KvHash, PeerHash, PeerHashError } from '../server/corruption-check.js';
import { fetchPeer, type PeerClientTls } from '../transport/peer-http.js';

export const PEER_HASHKV_PATH = '/members/hashkv';

/** rafthttp's ErrClusterIDMismatch text, which etcd's client looks for in a 412 answer. */
const CLUSTER_ID_MISMATCH = 'cluster ID mismatch';

/** What the handler needs from the member. */
export interface HashKVSource {
  clusterId: bigint;
  hashKV(rev: number): Promise<HashKVResponse>;
}

/** Go's http.Error: a text/plain answer ending in a newline. */
function httpError(res: http.ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', ...extra });
  res.end(`${text}\n`);
}

/** encoding/json's view of an int64 field: a JSON number with an integer value, or absent. */
function int64Field(obj: Record<string, unknown>, name: string): number | undefined {
  const v = obj[name];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v)) return undefined;
  return v;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/** Serves one `/members/hashkv` request. */
export async function handlePeerHashKV(req: http.IncomingMessage, res: http.ServerResponse, src: HashKVSource, log: CorruptionLog): Promise<void> {
  if (req.method !== 'GET') {
    httpError(res, 405, 'Method Not Allowed', { Allow: 'GET' });
    return;
  }
  const cid = req.headers['x-etcd-cluster-id'];
  if (typeof cid === 'string' && cid !== '' && cid !== formatId(src.clusterId)) {
    httpError(res, 412, CLUSTER_ID_MISMATCH);
    return;
  }
  let body: string;
  try {
    body = await readBody(req);
  } catch {
    httpError(res, 400, 'error reading body');
    return;
  }
  let rev: number | undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    rev = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? int64Field(parsed as Record<string, unknown>, 'revision') : undefined;
  } catch {
    rev = undefined;
  }
  if (rev === undefined) {
    log.warn('failed to unmarshal request', { error: `cannot parse ${JSON.stringify(body.slice(0, 64))} as a HashKVRequest` });
    httpError(res, 400, 'error unmarshalling request');
    return;
  }
  let hr: HashKVResponse;
  try {
    hr = await src.hashKV(rev);
  } catch (err) {
    // The gRPC errors carry an "etcdserver: " prefix; peers get the mvcc text, as from etcd.
    const text = err === Errors.Compacted ? new ErrCompacted().message : err === Errors.FutureRev ? new ErrFutureRev().message : err instanceof Error ? err.message : String(err);
    log.warn('failed to get hashKV', { 'requested-revision': rev, error: text });
    httpError(res, 400, text);
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'X-Etcd-Cluster-ID': formatId(src.clusterId) });
  res.end(encodeHashKVResponse({ revision: Number(hr.header?.revision ?? 0n), hash: hr.hash, compactRevision: Number(hr.compactRevision) }));
}

/** etcd's JSON for a HashKVResponse whose header carries only the revision (omitempty drops zeros). */
export function encodeHashKVResponse(h: KvHash): string {
  const out: Record<string, unknown> = {};
  out.header = h.revision !== 0 ? { revision: h.revision } : {};
  if (h.hash !== 0) out.hash = h.hash;
  if (h.compactRevision !== 0) out.compact_revision = h.compactRevision;
  return JSON.stringify(out);
}

export function decodeHashKVResponse(body: string): KvHash {
  const parsed: unknown = JSON.parse(body);
  if (parsed === null || typeof parsed !== 'object') throw new Error(`unexpected hashkv answer ${JSON.stringify(body)}`);
  const o = parsed as Record<string, unknown>;
  const header = o.header !== null && typeof o.header === 'object' ? (o.header as Record<string, unknown>) : {};
  const num = (obj: Record<string, unknown>, k: string): number => {
    const v = obj[k];
    return typeof v === 'number' ? v : 0;
  };
  return { revision: num(header, 'revision'), hash: num(o, 'hash'), compactRevision: num(o, 'compact_revision') };
}

class PeerHashKVError extends Error {
  constructor(readonly kind: PeerHashError['kind'], message: string) {
    super(message);
  }
}

/** Asks one peer URL for its hash at `rev`. */
export async function fetchPeerHashKV(peerUrl: string, rev: number, clusterId: bigint, tlsOpts: PeerClientTls | undefined, timeoutMs: number): Promise<KvHash> {
  const url = new URL(PEER_HASHKV_PATH, peerUrl.endsWith('/') ? peerUrl : `${peerUrl}/`);
  const body = rev !== 0 ? JSON.stringify({ revision: rev }) : '{}';
  let res;
  try {
    res = await fetchPeer(url, {
      method: 'GET',
      headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), 'X-Etcd-Cluster-ID': formatId(clusterId) },
      body,
      timeoutMs,
    }, tlsOpts);
  } catch (err) {
    throw new PeerHashKVError('other', `Get "${url.toString()}": ${err instanceof Error ? err.message : String(err)}`);
  }
  if (res.status === 400) {
    if (res.body.includes(new ErrCompacted().message)) throw new PeerHashKVError('compacted', Errors.Compacted.message);
    if (res.body.includes(new ErrFutureRev().message)) throw new PeerHashKVError('future-rev', Errors.FutureRev.message);
  } else if (res.status === 412 && res.body.includes(CLUSTER_ID_MISMATCH)) {
    throw new PeerHashKVError('cluster-id-mismatch', 'etcdserver: cluster ID mismatch');
  }
  if (res.status !== 200) throw new PeerHashKVError('other', `unknown error: ${res.body}`);
  return decodeHashKVResponse(res.body);
}

export interface PeerMemberInfo {
  id: bigint;
  peerURLs: string[];
}

/**
 * etcd's getPeerHashKVs: every other member with peer URLs, each URL in turn until one
 * answers; each failed URL is logged, and a member no URL answered for is reported with
 * the last error. Members are asked at the same time (etcd asks one after another; the
 * answers are the same, a dead member just costs less time).
 */
export async function collectPeerHashes(opts: {
  members: PeerMemberInfo[];
  self: bigint;
  rev: number;
  clusterId: bigint;
  tls: PeerClientTls | undefined;
  timeoutMs: number;
  log: CorruptionLog;
  fetch?: typeof fetchPeerHashKV;
}): Promise<PeerHash[]> {
  const fetchOne = opts.fetch ?? fetchPeerHashKV;
  const peers = opts.members.filter((m) => m.id !== opts.self && m.peerURLs.length > 0);
  return Promise.all(
    peers.map(async (m): Promise<PeerHash> => {
      let lastErr: PeerHashError = { kind: 'other', message: 'no peer URL answered' };
      for (const ep of m.peerURLs) {
        try {
          return { id: m.id, endpoints: m.peerURLs, resp: await fetchOne(ep, opts.rev, opts.clusterId, opts.tls, opts.timeoutMs) };
        } catch (err) {
          lastErr = err instanceof PeerHashKVError ? { kind: err.kind, message: err.message } : { kind: 'other', message: err instanceof Error ? err.message : String(err) };
          opts.log.warn('failed hash kv request', {
            'local-member-id': formatId(opts.self),
            'requested-revision': opts.rev,
            'remote-peer-endpoint': ep,
            error: lastErr.message,
          });
        }
      }
      return { id: m.id, endpoints: m.peerURLs, err: lastErr };
    }),
  );
}
