// URL helpers for start-up: validation lives in ../pkg/go-url.ts (etcd's rules and
// messages); this file turns a validated listen URL into what a Node server binds.

import { parseGoUrl, splitHostPort, uniqueUrls } from '../pkg/go-url.js';

/** Parses and validates a comma-separated list as etcd's URL flags do (sorted, unique). */
export function parseUrls(text: string): string[] {
  return uniqueUrls(text);
}

/** host and port to bind for a listen URL; "localhost" binds IPv4 loopback, as Go's listener does. */
export function listenAddress(url: string): { host: string; port: number } {
  const u = parseGoUrl(url);
  const { host, port } = splitHostPort(u.host);
  const bindHost = host === 'localhost' ? '127.0.0.1' : host;
  return { host: bindHost, port: port === '' ? 0 : Number(port) };
}
