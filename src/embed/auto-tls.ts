// --auto-tls and --peer-auto-tls: without certificate flags, the member serves TLS with a
// self-signed certificate kept in <data-dir>/fixtures/client (or .../peer), made on first
// start and reused afterwards. Given certificate flags, etcd warns and uses those instead.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selfSignedCert } from '../pkg/self-signed-cert.js';
import { hostOfHeader } from '../api/host-whitelist.js';
import type { TlsConfig } from './config.js';
import type { Logger } from './logger.js';

/** A TLS configuration with nothing set, which auto TLS fills with its certificate alone. */
const NO_TLS_OPTIONS: TlsConfig = {
  certFile: '',
  keyFile: '',
  clientCertFile: '',
  clientKeyFile: '',
  clientCertAuth: false,
  trustedCaFile: '',
  crlFile: '',
  autoTls: false,
  allowedHostnames: [],
  allowedCns: [],
};

/** `tls` with the self-signed certificate filled in when auto TLS applies; unchanged otherwise. */
export async function withAutoTls(tls: TlsConfig, dataDir: string, listenUrls: readonly string[], side: 'client' | 'peer', log: Logger): Promise<TlsConfig> {
  if (!tls.autoTls) return tls;
  if (tls.certFile !== '' || tls.keyFile !== '') {
    log.warn(`ignoring ${side} auto TLS since certs given`);
    return tls;
  }
  const dir = join(dataDir, 'fixtures', side);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (!(existsSync(certFile) && existsSync(keyFile))) {
    // Each listen URL's host (port removed), as an IP SAN or a DNS SAN.
    const hosts = listenUrls.map((u) => hostOfHeader(new URL(u).host));
    const pem = await selfSignedCert(hosts);
    writeFileSync(certFile, pem.cert, { mode: 0o644 });
    log.info('created cert file', { path: certFile });
    writeFileSync(keyFile, pem.key, { mode: 0o600 });
    log.info('created key file', { path: keyFile });
  }
  // etcd's self-signed TLS info is a fresh one: --*client-cert-auth, the trusted CA, the CRL
  // and the allowed CN/hostname given with auto TLS are all dropped, so clients (or peers)
  // connect without certificates of their own, as they do to etcd.
  return { ...NO_TLS_OPTIONS, autoTls: true, certFile, keyFile, selfSigned: true };
}
