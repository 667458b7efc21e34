// URLs as etcd reads them from flags: Go's net/url parsing (scheme, authority, port
// syntax) plus etcd's rules from types.NewURLs (http/https need host:port and no path;
// unix/unixs are taken as given; lists are sorted). Errors carry Go's and etcd's text,
// e.g. `URL scheme must be http, https, unix, or unixs: foo` and
// `parse "http://a:x": invalid port ":x" after host`.
//
// WHATWG `URL` is not used: it lowercases hosts, drops default ports and accepts paths,
// all of which would change the strings etcd hashes into member ids.

import { isIP } from 'node:net';

export interface GoUrl {
  /** Lowercased scheme, "" if none. */
  scheme: string;
  /** host[:port] exactly as written (brackets kept for IPv6). */
  host: string;
  path: string;
  /** Go's url.String(), which for these URLs is the input with the scheme lowercased. */
  text: string;
}

const parseError = (input: string, why: string) => new Error(`parse ${JSON.stringify(input)}: ${why}`);

/** net/url.Parse for the shapes etcd flags use. */
export function parseGoUrl(input: string): GoUrl {
  if (/[\x00-\x1f\x7f]/.test(input)) throw parseError(input, 'net/url: invalid control character in URL');
  let rest = input;
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  let scheme = '';
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (m) {
    scheme = m[1]!.toLowerCase();
    rest = rest.slice(m[0].length);
  } else if (rest.startsWith(':')) {
    throw parseError(input, 'missing protocol scheme');
  }
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  let host = '';
  if (rest.startsWith('//') && (scheme !== '' || !rest.startsWith('///'))) {
    const auth = rest.slice(2);
    const slash = auth.indexOf('/');
    const authority = slash >= 0 ? auth.slice(0, slash) : auth;
    rest = slash >= 0 ? auth.slice(slash) : '';
    const at = authority.lastIndexOf('@');
    host = at >= 0 ? authority.slice(at + 1) : authority;
    checkHost(input, host);
  } else if (scheme !== '' && !rest.startsWith('/')) {
    // Opaque form ("localhost:2379" parses as scheme "localhost"): no host, no path.
    rest = '';
  }
  const text = scheme === '' ? input : scheme + input.slice(scheme.length);
  return { scheme, host, path: rest, text };
}

function checkHost(input: string, host: string): void {
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) throw parseError(input, "missing ']' in host");
    const port = host.slice(close + 1);
    if (port !== '' && !/^:\d*$/.test(port)) throw parseError(input, `invalid port ${JSON.stringify(port)} after host`);
    return;
  }
  const colon = host.lastIndexOf(':');
  if (colon >= 0) {
    const port = host.slice(colon);
    if (!/^:\d*$/.test(port)) throw parseError(input, `invalid port ${JSON.stringify(port)} after host`);
  }
  const bad = /[^A-Za-z0-9\-._~!$&'()*+,;=:%]/.exec(host);
  if (bad) throw parseError(input, `invalid character ${JSON.stringify(bad[0])} in host name`);
}

/** net.SplitHostPort; throws Go's `address x: missing port in address` style errors. */
export function splitHostPort(hostport: string): { host: string; port: string } {
  const missing = () => new Error(`address ${hostport}: missing port in address`);
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0) throw new Error(`address ${hostport}: missing ']' in address`);
    const after = hostport.slice(close + 1);
    if (after === '') throw missing();
    if (after[0] !== ':') throw new Error(`address ${hostport}: unexpected ']' in address`);
    if (after.slice(1).includes(':')) throw new Error(`address ${hostport}: too many colons in address`);
    return { host: hostport.slice(1, close), port: after.slice(1) };
  }
  const colon = hostport.lastIndexOf(':');
  if (colon < 0) throw missing();
  if (hostport.indexOf(':') !== colon) throw new Error(`address ${hostport}: too many colons in address`);
  return { host: hostport.slice(0, colon), port: hostport.slice(colon + 1) };
}

/** etcd's types.NewURLs: each URL trimmed and validated, the list sorted by text. */
export function newUrls(items: readonly string[]): string[] {
  if (items.length === 0) throw new Error('no valid URLs given');
  const out: string[] = [];
  for (const raw of items) {
    const text = raw.trim();
    const u = parseGoUrl(text);
    switch (u.scheme) {
      case 'http':
      case 'https':
        try {
          splitHostPort(u.host);
        } catch {
          throw new Error(`URL address does not have the form "host:port": ${text}`);
        }
        if (u.path !== '') throw new Error(`URL must not contain a path: ${text}`);
        break;
      case 'unix':
      case 'unixs':
        break;
      default:
        throw new Error(`URL scheme must be http, https, unix, or unixs: ${text}`);
    }
    out.push(u.text);
  }
  return out.sort(compareText);
}

/** Byte-order comparison, as Go's sort.Strings. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** etcd's UniqueURLs flag value: a comma list, validated, sorted, duplicates dropped. */
export function uniqueUrls(text: string): string[] {
  return [...new Set(newUrls(text.split(',')))];
}

/**
 * etcd's types.NewURLsMap for `--initial-cluster`: `name=url,name=url`; a name may repeat
 * for several URLs, a part without `=` is a name with an empty URL (which then fails URL
 * validation, as in etcd). Names keep first-seen order; each name's URLs are sorted.
 */
export function parseUrlsMap(text: string): Map<string, string[]> {
  const raw = new Map<string, string[]>();
  for (const part of text.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq >= 0 ? part.slice(0, eq) : part;
    const url = eq >= 0 ? part.slice(eq + 1) : '';
    raw.set(name, [...(raw.get(name) ?? []), url]);
  }
  const out = new Map<string, string[]>();
  for (const [name, urls] of raw) out.set(name, newUrls(urls));
  return out;
}

/** types.URLsMap.String(): `name=url` pairs, sorted. */
export function formatUrlsMap(m: ReadonlyMap<string, readonly string[]>): string {
  const pairs: string[] = [];
  for (const [name, urls] of m) for (const u of urls) pairs.push(`${name}=${u}`);
  return pairs.sort(compareText).join(',');
}

/** etcd's checkBindURLs: a listen URL's host must be an IP or "localhost" (unix sockets aside). */
export function checkBindUrls(urls: readonly string[]): void {
  for (const url of urls) {
    const u = parseGoUrl(url);
    if (u.scheme === 'unix' || u.scheme === 'unixs') continue;
    const { host } = splitHostPort(u.host);
    if (host === 'localhost') continue;
    if (isIP(host) === 0) throw new Error(`expected IP in URL for binding (${url})`);
  }
}

/** etcd's checkHostURLs: an advertised URL needs a non-empty host and a port separator. */
export function checkHostUrls(urls: readonly string[]): void {
  for (const url of urls) {
    const { host } = splitHostPort(parseGoUrl(url).host);
    if (host === '') throw new Error(`unexpected empty host (${url})`);
  }
}
