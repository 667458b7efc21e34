// Member and cluster ids computed as etcd computes them, so a member started with the
// same flags has the same ids as real etcd (`etcd` with no flags is member
// 8e9e05c52164694d in cluster cdf818194e3a8c32).
//
//   member id  = first 8 bytes, big endian, of SHA-1( sorted peer URLs concatenated
//                + cluster token [+ decimal unix seconds, only for members added at runtime] )
//   cluster id = first 8 bytes, big endian, of SHA-1( the member ids sorted ascending,
//                each as 8 big-endian bytes )
//
// Peer URLs enter the hash as etcd prints them (Go's url.String()), which is why
// ../pkg/go-url.ts keeps the text as written instead of normalizing it.

import { computeClusterId, computeMemberId } from '../pkg/member-id.js';

export { formatId, parseId } from '../pkg/ids.js';
export { computeClusterId, computeMemberId };

export interface BootstrapMember {
  name: string;
  peerUrls: string[];
  id: bigint;
}

/** The members and cluster id a new cluster starts with, from --initial-cluster and the token. */
export function bootstrapIds(initialCluster: ReadonlyMap<string, readonly string[]>, token: string): { members: BootstrapMember[]; clusterId: bigint } {
  const members = [...initialCluster].map(([name, urls]) => ({ name, peerUrls: [...urls], id: computeMemberId(urls, token) }));
  return { members, clusterId: computeClusterId(members.map((m) => m.id)) };
}
