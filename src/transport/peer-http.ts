// HTTP(S) requests from one member to another's peer URLs. https:// peers are reached
// with the member's peer certificate as client certificate (--peer-cert-file/--peer-key-file)
// and verified against --peer-trusted-ca-file, as etcd's peer transport does.

import http from 'node:http';
import https from 'node:https';
import type tls from 'node:tls';

/** What a member presents to, and trusts in, its peers; empty for plain http. */
export interface PeerClientTls {
  cert?: Buffer;
  key?: Buffer;
  ca?: Buffer;
  /** False under --peer-auto-tls, whose self-signed certificates no CA vouches for. */
  rejectUnauthorized?: boolean;
  /**
   * Judges the certificate a peer answers with, after the CA did: --peer-cert-allowed-cn and
   * --peer-cert-allowed-hostname hold for peers this member dials too (embed/tls-admission.ts).
   */
  checkServerIdentity?: (host: string, cert: tls.PeerCertificate) => Error | undefined;
}

export function requestPeer(url: URL, options: http.RequestOptions, tlsOpts: PeerClientTls | undefined): http.ClientRequest {
  if (url.protocol !== 'https:') return http.request(url, options);
  const secure: tls.ConnectionOptions = { ...(tlsOpts ?? {}), minVersion: 'TLSv1.2' };
  return https.request(url, { ...options, ...secure });
}

/**
 * Go's net/http text for a peer request that failed before any answer, as etcd logs it: the
 * refused connection a peer most often gives is worded as Go's dialer words it; the others
 * (the certificate judged unacceptable among them, already in Go's words) as they came.
 */
export function goDialError(err: Error, url: URL): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return `dial tcp ${url.host}: connect: connection refused`;
  return err.message;
}

export interface PeerResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body's bytes, for protobuf answers. */
  raw: Buffer;
}

/** One request with a whole-body answer, for the short peer calls (/members, promote, hashkv, leases). */
export function fetchPeer(url: URL, options: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array; timeoutMs: number }, tlsOpts: PeerClientTls | undefined): Promise<PeerResponse> {
  return new Promise((resolve, reject) => {
    const req = requestPeer(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, timeout: options.timeoutMs }, tlsOpts);
    req.on('timeout', () => req.destroy(new Error(`request to ${url.toString()} timed out`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString('utf8'), raw });
      });
      res.on('error', reject);
    });
    req.end(options.body);
  });
}
