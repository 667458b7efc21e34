// Joining a running cluster (--initial-cluster-state existing), as etcd does it: the
// member add already chose this member's id, so the new member asks the other members'
// peer URLs for the current member list (GET /members) and the cluster id, and checks
// that its own --initial-cluster describes that same membership before it starts.

import type { Member } from '../server/membership.js';
import { formatId } from './identity.js';
import { parsePeerMembersJson } from './peer-members-json.js';
import { fetchPeer, goDialError, type PeerClientTls, type PeerResponse } from '../transport/peer-http.js';

/** How long one peer may take to answer /members before the next is tried. */
const PEER_REQUEST_TIMEOUT_MS = 2000;

export interface RemoteCluster {
  clusterId: bigint;
  members: Member[];
}

/**
 * Asks each URL in turn for /members; the first complete answer wins. A URL that gives no
 * answer at all is reported to `warn` as etcd reports it (its request error quoted after
 * Go's `Get "<url>": `), e.g. a peer whose certificate --peer-cert-allowed-cn refuses.
 */
export async function fetchRemoteCluster(peerUrls: string[], tlsOpts?: PeerClientTls, warn?: (msg: string, fields: Record<string, unknown>) => void): Promise<RemoteCluster> {
  for (const base of peerUrls) {
    const url = new URL('/members', base);
    let res: PeerResponse;
    try {
      res = await fetchPeer(url, { timeoutMs: PEER_REQUEST_TIMEOUT_MS }, tlsOpts);
    } catch (err) {
      warn?.('failed to get cluster response', { address: url.toString(), error: `Get "${url.toString()}": ${goDialError(err as Error, url)}` });
      continue;
    }
    try {
      const cid = res.headers['x-etcd-cluster-id'];
      if (res.status !== 200 || typeof cid !== 'string') continue;
      return { clusterId: BigInt(`0x${cid}`), members: parsePeerMembersJson(res.body) };
    } catch {
      // not an etcd peer's answer: try the next URL
    }
  }
  throw new Error('cannot fetch cluster info from peer urls: could not retrieve cluster information from the given URLs');
}

function sameUrls(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sb = [...b].sort();
  return [...a].sort().every((u, i) => u === sb[i]);
}

function describe(c: RemoteCluster): string {
  return c.members.map((m) => m.peerURLs.map((u) => `${m.name}=${u}`).join(',')).join(',');
}

/**
 * Matches --initial-cluster against the live membership by peer URLs; returns this
 * member's id as the cluster knows it, or etcd's refusal text.
 */
export function assignIdFromRemote(initialCluster: ReadonlyMap<string, readonly string[]>, name: string, remote: RemoteCluster): bigint | string {
  const local = [...initialCluster].map(([n, urls]) => ({ name: n, urls }));
  const prefix = `error validating peerURLs {ClusterID:${formatId(remote.clusterId)} Members:[${describe(remote)}] RemovedMemberIDs:[]}`;
  if (local.length !== remote.members.length) return `${prefix}: member count is unequal`;
  let mine: bigint | undefined;
  for (const m of remote.members) {
    const match = local.find((l) => sameUrls(l.urls, m.peerURLs));
    if (!match) {
      return `${prefix}: PeerURLs: no match found for existing member (${formatId(m.id)}, [${m.peerURLs.join(' ')}]), last resolver error (<nil>)`;
    }
    if (match.name === name) mine = m.id;
  }
  if (mine === undefined) return `${prefix}: member count is unequal`;
  return mine;
}

/** The peers to reach while joining: everyone in --initial-cluster but this member. */
export function otherPeerUrls(initialCluster: ReadonlyMap<string, readonly string[]>, name: string): string[] {
  return [...initialCluster].filter(([n]) => n !== name).flatMap(([, urls]) => urls);
}
