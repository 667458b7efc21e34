// What Go says of a certificate/key pair or a CA file it cannot use, so that etcd-ts fails
// on the same files with the same words as etcd (crypto/tls.X509KeyPair and etcd's
// NewCertPool over Go's PEM reader, go-pem.ts). Node parses the keys and certificates;
// only the choice of message is Go's. undefined means Go would accept the input.

import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { goPemBlocks } from './go-pem.js';

/** tls.X509KeyPair's error for this certificate and key file content, if any. */
export function goKeyPairError(certPem: Buffer, keyPem: Buffer): string | undefined {
  const certBlocks = goPemBlocks(certPem);
  const certs = certBlocks.filter((b) => b.type === 'CERTIFICATE');
  if (certs.length === 0) {
    const skipped = certBlocks.map((b) => b.type);
    if (skipped.length === 0) return 'tls: failed to find any PEM data in certificate input';
    if (skipped.length === 1 && skipped[0]!.endsWith('PRIVATE KEY')) {
      return 'tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched';
    }
    return `tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping PEM blocks of the following types: ${goList(skipped)}`;
  }

  // The first block typed as a private key; those before it are reported when there is none.
  const keyBlocks = goPemBlocks(keyPem);
  const keyAt = keyBlocks.findIndex((b) => b.type === 'PRIVATE KEY' || b.type.endsWith(' PRIVATE KEY'));
  if (keyAt < 0) {
    const skipped = keyBlocks.map((b) => b.type);
    if (skipped.length === 0) return 'tls: failed to find any PEM data in key input';
    if (skipped.length === 1 && skipped[0] === 'CERTIFICATE') return 'tls: found a certificate rather than a key in the PEM for the private key';
    return `tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after skipping PEM blocks of the following types: ${goList(skipped)}`;
  }

  const certError = goCertificateError(certs[0]!.bytes);
  if (certError !== undefined) return certError;
  const key = goPrivateKey(keyBlocks[keyAt]!.bytes);
  if (key === undefined) return 'tls: failed to parse private key';
  const cert = new X509Certificate(certs[0]!.bytes);
  const certType = cert.publicKey.asymmetricKeyType;
  if (certType !== 'rsa' && certType !== 'ec' && certType !== 'ed25519') return 'tls: unknown public key algorithm';
  if (key.asymmetricKeyType !== certType) return 'tls: private key type does not match public key type';
  if (!cert.checkPrivateKey(key)) return 'tls: private key does not match public key';
  return undefined;
}

/**
 * etcd's CA pool reading: every PEM block, whatever its type, must parse as a certificate.
 * A file with no PEM block at all is no error to etcd: the pool is empty and no peer or
 * client certificate will verify.
 */
export function goCertPoolError(caPem: Buffer): string | undefined {
  for (const block of goPemBlocks(caPem)) {
    const error = goCertificateError(block.bytes);
    if (error !== undefined) return error;
  }
  return undefined;
}

/** Go's %v of a string slice: [a b c]. */
function goList(items: string[]): string {
  return `[${items.join(' ')}]`;
}

/** crypto/tls's private key parsing: PKCS #1, then PKCS #8 (RSA, ECDSA or Ed25519), then SEC 1. */
function goPrivateKey(der: Buffer): KeyObject | undefined {
  for (const type of ['pkcs1', 'pkcs8', 'sec1'] as const) {
    try {
      const key = createPrivateKey({ key: der, format: 'der', type });
      return ['rsa', 'ec', 'ed25519'].includes(key.asymmetricKeyType ?? '') ? key : undefined;
    } catch {
      // Not this encoding; try the next.
    }
  }
  return undefined;
}

/**
 * x509.ParseCertificate's error for `der`, if any. The messages for the fields a
 * certificate starts with are Go's (enough for a key, CRL or garbage in place of a
 * certificate: the usual mistakes); a certificate broken deeper inside gets Go's general
 * "x509: malformed certificate".
 */
export function goCertificateError(der: Buffer): string | undefined {
  const outer = readTlv(der, 0);
  if (outer?.tag !== SEQUENCE) return 'x509: malformed certificate';
  const tbs = readTlv(der, outer.start, outer.end);
  if (tbs?.tag !== SEQUENCE) return 'x509: malformed tbs certificate';
  let at = tbs.start;
  const version = readTlv(der, at, tbs.end);
  if (version?.tag === VERSION_TAG) {
    const n = readTlv(der, version.start, version.end);
    if (n?.tag !== INTEGER || n.end !== version.end) return 'x509: malformed version';
    if (der[n.start]! >= 0x80) return 'x509: malformed version';
    if (n.end - n.start !== 1 || der[n.start]! > 2) return 'x509: invalid version';
    at = version.end;
  }
  const serial = readTlv(der, at, tbs.end);
  if (serial?.tag !== INTEGER) return 'x509: malformed serial number';
  const innerAlg = readTlv(der, serial.end, tbs.end);
  if (innerAlg?.tag !== SEQUENCE) return 'x509: malformed signature algorithm identifier';
  const outerAlg = readTlv(der, tbs.end, outer.end);
  if (outerAlg?.tag !== SEQUENCE) return 'x509: malformed algorithm identifier';
  if (!der.subarray(innerAlg.start, innerAlg.end).equals(der.subarray(outerAlg.start, outerAlg.end))) {
    return "x509: inner and outer signature algorithm identifiers don't match";
  }
  const issuer = readTlv(der, innerAlg.end, tbs.end);
  if (issuer?.tag !== SEQUENCE) return 'x509: malformed issuer';
  const validity = readTlv(der, issuer.end, tbs.end);
  if (validity?.tag !== SEQUENCE) return 'x509: malformed validity';
  try {
    new X509Certificate(der);
  } catch {
    return 'x509: malformed certificate';
  }
  if (outer.end !== der.length) return 'x509: trailing data';
  return undefined;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
/** [0] EXPLICIT, the optional version field. */
const VERSION_TAG = 0xa0;

/** One DER element at `at` (before `limit`): its tag and where its content starts and ends; undefined if it does not fit. */
function readTlv(der: Buffer, at: number, limit = der.length): { tag: number; start: number; end: number } | undefined {
  if (at + 2 > limit) return undefined;
  const tag = der[at]!;
  const first = der[at + 1]!;
  let length = first;
  let start = at + 2;
  if (first & 0x80) {
    const bytes = first & 0x7f;
    // DER: one to four length bytes, no leading zero, long form only above 127.
    if (bytes === 0 || bytes > 4 || start + bytes > limit || der[start] === 0) return undefined;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i]!;
    if (length < 128) return undefined;
    start += bytes;
  }
  if (start + length > limit) return undefined;
  return { tag, start, end: start + length };
}
