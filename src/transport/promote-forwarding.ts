// Learner promotion handed from a follower to the leader over the peer port, as etcd
// does at POST /members/promote/<id>: only the leader knows how far the learner's log
// got. The leader answers 200, or the refusal's text with a status that says whether
// asking again can help.

import type http from 'node:http';
import { Errors, type EtcdError } from '../server/errors.js';
import { fetchPeer, type PeerClientTls } from './peer-http.js';
import { PROMOTE_REFUSALS } from '../server/cluster-api.js';

export const PROMOTE_PATH_PREFIX = '/members/promote/';
const REQUEST_TIMEOUT_MS = 5000;

/** Refusals the leader may give, recognized by their text on the follower. */
const KNOWN_REFUSALS: readonly EtcdError[] = [...PROMOTE_REFUSALS, Errors.NotLeader];

export async function forwardPromote(leaderPeerURLs: string[], id: bigint, headers: Record<string, string>, tlsOpts?: PeerClientTls): Promise<void> {
  let last: Error = Errors.NoLeader;
  for (const base of leaderPeerURLs) {
    try {
      const res = await fetchPeer(new URL(`${PROMOTE_PATH_PREFIX}${id.toString()}`, base), { method: 'POST', headers, timeoutMs: REQUEST_TIMEOUT_MS }, tlsOpts);
      if (res.status === 200) return;
      const text = res.body.trim();
      const known = KNOWN_REFUSALS.find((e) => e.message === text);
      if (known) throw known;
      last = new Error(text);
    } catch (err) {
      if (KNOWN_REFUSALS.includes(err as EtcdError)) throw err;
      last = err as Error;
    }
  }
  throw last;
}

/** Serves the leader's side; returns false when the request is not a promotion. */
export function handlePromote(req: http.IncomingMessage, res: http.ServerResponse, promote: (id: bigint) => Promise<void>): boolean {
  const path = (req.url ?? '').split('?')[0]!;
  if (req.method !== 'POST' || !path.startsWith(PROMOTE_PATH_PREFIX)) return false;
  const text = path.slice(PROMOTE_PATH_PREFIX.length);
  if (!/^\d+$/.test(text)) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`invalid member id ${JSON.stringify(text)}\n`);
    return true;
  }
  req.resume();
  promote(BigInt(text)).then(
    () => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('ok\n');
    },
    (err: Error) => {
      const status = err === Errors.NotLeader ? 503 : KNOWN_REFUSALS.includes(err as EtcdError) ? 412 : 500;
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${err.message}\n`);
    },
  );
  return true;
}
