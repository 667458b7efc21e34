// etcd's --cors on the client port's HTTP answers: an origin on the whitelist (or any
// origin when the list holds "*", the default) gets the Access-Control-* headers, and every
// OPTIONS request is answered 200 with an empty body before routing, so a browser's
// preflight always succeeds and the browser itself enforces the origin. An origin off the
// list gets no CORS headers at all (not a refusal: the request is still served).
// Origins compare as exact text against the flag's URLs as etcd prints them (scheme
// lower-cased, host case kept), e.g. `--cors http://a.example.com:80` matches only the
// Origin header `http://a.example.com:80`, not `http://a.example.com`.

import type http from 'node:http';

const ALLOW_METHODS = 'POST, GET, OPTIONS, PUT, DELETE';
const ALLOW_HEADERS = 'accept, content-type, authorization';

export interface CorsPolicy {
  /** The Access-Control-Allow-Origin value for a request's Origin header, or undefined for none. */
  allowOrigin(origin: string | undefined): string | undefined;
}

/**
 * The policy for --cors's parsed list; "*" in it allows every origin, and so does an empty
 * list (etcd's AccessController: "If CORS is empty, allow all"; the flag itself refuses "").
 */
export function corsPolicy(origins: readonly string[]): CorsPolicy {
  const allowed = new Set(origins);
  if (allowed.size === 0 || allowed.has('*')) return { allowOrigin: () => '*' };
  return { allowOrigin: (origin) => (origin !== undefined && allowed.has(origin) ? origin : undefined) };
}

/**
 * Sets the CORS headers the policy grants this request; returns true when the request was
 * a preflight (OPTIONS) and has been answered.
 */
export function applyCors(policy: CorsPolicy, req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const origin = policy.allowOrigin(typeof req.headers.origin === 'string' ? req.headers.origin : undefined);
  if (origin !== undefined) {
    res.setHeader('Access-Control-Allow-Headers', ALLOW_HEADERS);
    res.setHeader('Access-Control-Allow-Methods', ALLOW_METHODS);
    res.setHeader('Access-Control-Allow-Origin', origin);
  }
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(200);
  res.end();
  return true;
}
