// etcd's --host-whitelist: a plaintext HTTP/1.1 request on a client URL whose Host header
// names a host off the list is refused with 421 and etcd's explanation, to stop DNS
// rebinding (CVE-2018-5702). "*" (the default) or an empty list allows every host. TLS
// connections and gRPC are never checked, and neither is the --listen-metrics-urls port.

import type http from 'node:http';
import type tls from 'node:tls';

export interface HostPolicy {
  /** Whether a request whose Host header names `host` (port removed) may be served. */
  allows(host: string): boolean;
}

export function hostPolicy(hosts: readonly string[]): HostPolicy {
  const allowed = new Set(hosts);
  if (allowed.size === 0 || allowed.has('*')) return { allows: () => true };
  return { allows: (host) => allowed.has(host) };
}

/**
 * The host part of a Host header the way Go's net.SplitHostPort takes it apart; a value it
 * would reject (no port, too many colons, unbalanced brackets) is used whole, as etcd does.
 */
export function hostOfHeader(value: string): string {
  let host: string;
  let rest: string;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0) return value;
    host = value.slice(1, close);
    rest = value.slice(close + 1);
    if (!rest.startsWith(':') || /[:[\]]/.test(rest.slice(1)) || host.includes('[')) return value;
    return host;
  }
  const colon = value.lastIndexOf(':');
  if (colon < 0) return value;
  host = value.slice(0, colon);
  rest = value.slice(colon + 1);
  if (host.includes(':') || host.includes('[') || host.includes(']') || rest.includes('[') || rest.includes(']')) return value;
  return host;
}

/** The body etcd writes with the 421 (Go's http.Error adds the trailing newline). */
export function misdirectedBody(host: string): string {
  return (
    '\netcd received your request, but the Host header was unrecognized.\n\n' +
    'To fix this, choose one of the following options:\n' +
    '- Enable TLS, then any HTTPS request will be allowed.\n' +
    '- Add the hostname you want to use to the whitelist in settings.\n' +
    `  - e.g. etcd --host-whitelist ${JSON.stringify(host)}\n\n` +
    'This requirement has been added to help prevent "DNS Rebinding" attacks (CVE-2018-5702).\n\n'
  );
}

/**
 * The refused host when `req` must be turned away, else undefined. Only plaintext requests
 * are checked: over TLS the certificate already ties the name to the server.
 */
export function refusedHost(policy: HostPolicy, req: http.IncomingMessage): string | undefined {
  if ((req.socket as tls.TLSSocket | undefined)?.encrypted === true) return undefined;
  const host = hostOfHeader(req.headers.host ?? '');
  return policy.allows(host) ? undefined : host;
}
