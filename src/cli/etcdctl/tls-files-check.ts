// The checks etcdctl's client set-up makes of --cert/--key/--cacert (and make-mirror's
// --dest-*) before dialling, with Go's error texts: both or neither of cert and key, each
// file readable, the cert and key PEM a matching pair. etcdctl exits 128 (ExitBadArgs) on
// any of them. A CA file with no certificate in it is not an error there (the pool is just
// empty, and the dial fails later), so it is read but not parsed here.

import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CtlError, ExitCode } from './errors.js';
import { goReadFileError } from '../../pkg/go-os-errors.js';

export interface TlsFileFlags {
  cert: string;
  key: string;
  cacert: string;
}

/** The file's bytes, or etcdctl's error with Go's os.ReadFile text. */
function readGo(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CtlError(goReadFileError(path, err) ?? `open ${path}: ${(err as Error).message}`, ExitCode.BadArgs);
  }
}

function pemBlocks(pem: Buffer): string[] {
  return [...pem.toString('latin1').matchAll(/-----BEGIN ([^-]+)-----/g)].map((m) => m[1]!);
}

/** tls.X509KeyPair's checks, with its messages. */
function checkKeyPair(certPem: Buffer, keyPem: Buffer): void {
  const fail = (text: string): never => {
    throw new CtlError(text, ExitCode.BadArgs);
  };
  const certTypes = pemBlocks(certPem);
  if (!certTypes.includes('CERTIFICATE')) {
    if (certTypes.length === 0) fail('tls: failed to find any PEM data in certificate input');
    if (certTypes.length === 1 && certTypes[0]!.endsWith('PRIVATE KEY')) {
      fail('tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched');
    }
    fail(`tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping PEM blocks of the following types: [${certTypes.join(' ')}]`);
  }
  const keyTypes = pemBlocks(keyPem);
  if (!keyTypes.some((t) => t === 'PRIVATE KEY' || t.endsWith(' PRIVATE KEY'))) {
    if (keyTypes.length === 0) fail('tls: failed to find any PEM data in key input');
    if (keyTypes.length === 1 && keyTypes[0] === 'CERTIFICATE') fail('tls: found a certificate rather than a key in the PEM for the private key');
    fail(`tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after skipping PEM blocks of the following types: [${keyTypes.join(' ')}]`);
  }
  let cert: X509Certificate | undefined;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    fail('x509: malformed certificate');
  }
  let key: KeyObject | undefined;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    fail('tls: failed to parse private key');
  }
  if (!cert!.checkPrivateKey(key!)) fail('tls: private key does not match public key');
}

/** Throws etcdctl's error for the first problem with the TLS files, in the order etcdctl finds it. */
export function checkTlsFiles(f: TlsFileFlags): void {
  if (f.cert !== '' || f.key !== '') {
    if (f.cert === '' || f.key === '') throw new CtlError(`KeyFile and CertFile must both be present[key: ${f.key}, cert: ${f.cert}]`, ExitCode.BadArgs);
    const certPem = readGo(f.cert);
    const keyPem = readGo(f.key);
    checkKeyPair(certPem, keyPem);
  }
  if (f.cacert !== '') readGo(f.cacert);
}
