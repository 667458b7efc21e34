// A request's header fields, as decoded off the wire, turned into the object node's http2 gives
// a 'stream' listener, so the calls the HTTP/2 front end serves itself (h2-front-connection.ts)
// see the same headers they would see through node.

import type http2 from 'node:http2';

/** Headers node keeps the first of when a request repeats them (the rest it joins with ", "). */
const SINGLE_VALUE = new Set([
  ':status', ':method', ':authority', ':scheme', ':path', ':protocol', 'access-control-allow-credentials', 'access-control-max-age',
  'access-control-request-method', 'age', 'authorization', 'content-encoding', 'content-language', 'content-length',
  'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'dnt', 'etag', 'expires', 'from', 'host',
  'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified', 'location',
  'max-forwards', 'proxy-authorization', 'range', 'referer', 'retry-after', 'tk', 'upgrade-insecure-requests', 'user-agent',
  'x-content-type-options',
]);

/** The request headers as node gives them to a 'stream' listener. */
export function headerObject(fields: readonly string[]): http2.IncomingHttpHeaders {
  const headers = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    const existing = headers[name];
    if (existing === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
    else if (name === 'cookie') headers[name] = `${existing as string}; ${value}`;
    else if (name === 'set-cookie') (existing as string[]).push(value);
    else if (!SINGLE_VALUE.has(name)) headers[name] = `${existing as string}, ${value}`;
  }
  return headers as http2.IncomingHttpHeaders;
}

