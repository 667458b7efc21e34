// URL lists as etcd's flags take them: comma separated, each http(s) or unix(s) with a
// host:port and no path. Error text matches etcd's so scripts see the same message.

export function parseUrl(text: string): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(`URL scheme must be http, https, unix, or unixs: ${text}`);
  }
  const scheme = u.protocol.replace(/:$/, '');
  if (!['http', 'https', 'unix', 'unixs'].includes(scheme)) throw new Error(`URL scheme must be http, https, unix, or unixs: ${text}`);
  if ((scheme === 'http' || scheme === 'https') && u.port === '' && !/:\d+$/.test(u.host)) {
    throw new Error(`URL address does not have the form "host:port": ${text}`);
  }
  if (u.pathname !== '' && u.pathname !== '/') throw new Error(`URL must not contain a path: ${text}`);
  return u;
}

/** Parses and validates a comma-separated list, returning the URLs as written (trailing "/" removed). */
export function parseUrls(text: string): string[] {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const p of parts) parseUrl(p);
  return parts.map((p) => p.replace(/\/$/, ''));
}

/** host and port to bind for a listen URL; "localhost" binds IPv4 loopback, as Go's listener does. */
export function listenAddress(url: string): { host: string; port: number } {
  const u = new URL(url);
  const host = u.hostname === 'localhost' ? '127.0.0.1' : u.hostname.replace(/^\[|\]$/g, '');
  const port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
  return { host, port };
}
