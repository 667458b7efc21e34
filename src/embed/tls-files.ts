// Turns etcd's TLS flags (--cert-file, --key-file, --trusted-ca-file, --client-cert-auth
// and their peer- twins) into Node TLS server options, failing start-up the way etcd does
// when an https:// URL has no certificate, a file cannot be read, or it holds no usable
// certificate, key or CA (garbage, the cert and key swapped, a key of another certificate).

import { readFileSync } from 'node:fs';
import type tls from 'node:tls';
import type { TlsConfig } from './config.js';
import { StartError } from './start-errors.js';
import type { PeerClientTls } from '../transport/peer-http.js';
import { peerDialCheck } from './tls-admission.js';
import { goReadFileError } from '../pkg/go-os-errors.js';
import { goCertPoolError, goKeyPairError } from '../pkg/go-x509-checks.js';

/** A certificate, key or CA file that could not be read or used (the message is Go's: os.ReadFile's, tls.X509KeyPair's or x509's). */
export class TlsFileError extends StartError {}

/** Reads a certificate file, failing start-up with os.ReadFile's words for a missing or unreadable file or a directory. */
function read(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new TlsFileError(goReadFileError(path, err) ?? `open ${path}: ${String(err)}`);
  }
}

/**
 * The certificate and key, checked as etcd checks them before serving: both files are read,
 * then the pair must be PEM, in the right files, and match (Node's OpenSSL would otherwise
 * fail later, in its own words, or not at all).
 */
function keyPair(certFile: string, keyFile: string): { cert: Buffer; key: Buffer } {
  const cert = read(certFile);
  const key = read(keyFile);
  const error = goKeyPairError(cert, key);
  if (error !== undefined) throw new TlsFileError(error);
  return { cert, key };
}

/** A CA file whose PEM blocks must all be certificates; one with no PEM at all trusts nobody, as in etcd. */
function caPool(caFile: string): Buffer {
  const ca = read(caFile);
  const error = goCertPoolError(ca);
  if (error !== undefined) throw new TlsFileError(error);
  return ca;
}

/** The server TLS options for a listener of `url`, or undefined for http://. */
export function serverTlsFor(url: string, cfg: TlsConfig, flags: { cert: string; key: string }): tls.TlsOptions | undefined {
  if (!url.startsWith('https://') && !url.startsWith('unixs://')) return undefined;
  if (cfg.certFile === '' || cfg.keyFile === '') {
    throw new StartError(`TLS key/cert (${flags.cert}, ${flags.key}) must be provided for ${flags.cert.startsWith('--peer') ? 'peer' : 'client'} url ${url} with HTTPS scheme`);
  }
  return {
    ...keyPair(cfg.certFile, cfg.keyFile),
    ...(cfg.trustedCaFile !== '' ? { ca: caPool(cfg.trustedCaFile) } : {}),
    // Like Go's RequireAndVerifyClientCert: only --client-cert-auth asks for (and demands) one.
    requestCert: cfg.clientCertAuth,
    rejectUnauthorized: cfg.clientCertAuth,
    minVersion: 'TLSv1.2',
  };
}

/**
 * What this member presents to its peers and trusts in them: the peer certificate (or
 * --peer-client-cert-file when given) and --peer-trusted-ca-file. Undefined without one.
 */
export function peerClientTls(cfg: TlsConfig): PeerClientTls | undefined {
  const certFile = cfg.clientCertFile !== '' ? cfg.clientCertFile : cfg.certFile;
  const keyFile = cfg.clientKeyFile !== '' ? cfg.clientKeyFile : cfg.keyFile;
  if (certFile === '' && cfg.trustedCaFile === '') return undefined;
  // etcd's client TLS carries the rule only with a certificate of its own (given only
  // --peer-trusted-ca-file it dials with the CA alone). Under --peer-auto-tls there is no
  // rule to carry: withAutoTls (auto-tls.ts) drops it with the other TLS flags, as etcd does.
  const ownCert = cfg.certFile !== '' || cfg.keyFile !== '';
  const check = ownCert ? peerDialCheck(cfg) : undefined;
  return {
    ...(certFile !== '' && keyFile !== '' ? keyPair(certFile, keyFile) : {}),
    ...(cfg.trustedCaFile !== '' ? { ca: caPool(cfg.trustedCaFile) } : {}),
    // As etcd: a member on a self-signed certificate trusts its peers' self-signed ones.
    ...(cfg.selfSigned === true ? { rejectUnauthorized: false } : {}),
    ...(check !== undefined ? { checkServerIdentity: check } : {}),
  };
}
