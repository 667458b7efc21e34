// Member and cluster ids computed as etcd computes them, so a member started with the
// same flags has the same ids as real etcd (`etcd` with no flags is member
// 8e9e05c52164694d in cluster cdf818194e3a8c32).
//
// member id  = first 8 bytes (big endian) of SHA-1(sorted peer URLs joined, + cluster token [+ unix time])
// cluster id = first 8 bytes (big endian) of SHA-1(sorted member ids as 8-byte big-endian words)

import { createHash } from 'node:crypto';

export function computeMemberId(peerUrls: string[], token: string, nowUnixSeconds?: number): bigint {
  const joined = [...peerUrls].sort().join('');
  const text = joined + token + (nowUnixSeconds === undefined ? '' : String(nowUnixSeconds));
  return createHash('sha1').update(text).digest().readBigUInt64BE(0);
}

export function computeClusterId(memberIds: bigint[]): bigint {
  const sorted = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const buf = Buffer.alloc(8 * sorted.length);
  sorted.forEach((id, i) => buf.writeBigUInt64BE(id, 8 * i));
  return createHash('sha1').update(buf).digest().readBigUInt64BE(0);
}

/** etcd prints ids as lowercase hex without leading zeros. */
export function formatId(id: bigint): string {
  return id.toString(16);
}
