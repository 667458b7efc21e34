// Member and cluster ids as etcd computes them (see ../embed/identity.ts for the rules);
// shared by bootstrap (embed) and member add (server).

import { createHash } from 'node:crypto';
import { compareText } from './go-url.js';

export function computeMemberId(peerUrls: readonly string[], token: string, nowUnixSeconds?: number): bigint {
  const joined = [...peerUrls].sort(compareText).join('');
  const text = joined + token + (nowUnixSeconds === undefined ? '' : String(Math.floor(nowUnixSeconds)));
  return createHash('sha1').update(text).digest().readBigUInt64BE(0);
}

export function computeClusterId(memberIds: readonly bigint[]): bigint {
  const sorted = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const buf = Buffer.alloc(8 * sorted.length);
  sorted.forEach((id, i) => buf.writeBigUInt64BE(id, 8 * i));
  return createHash('sha1').update(buf).digest().readBigUInt64BE(0);
}

