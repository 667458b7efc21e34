// The revoked serial numbers of an X.509 certificate revocation list, PEM ("X509 CRL") or
// DER, read the way etcd's --client-crl-file / --peer-crl-file use it: only the list of
// serials matters, the signature and validity dates are not checked. Node's tls `crl`
// option would do the full OpenSSL check instead, which refuses every client when the CRL
// is not signed by the client's CA or has expired — not etcd's rule. Parsed with
// @peculiar/x509.

// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { X509Crl } from '@peculiar/x509';

export class CrlParseError extends Error {}

/** A serial as lower-case hex of its big-endian magnitude without leading zero bytes (Go's big.Int.Bytes). */
export function serialHex(bytes: Uint8Array): string {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  return Buffer.from(bytes.subarray(i)).toString('hex');
}

/** The revoked serials (serialHex form) listed in a CRL file's bytes. */
export function revokedSerials(file: Uint8Array): Set<string> {
  const text = Buffer.from(file).toString('latin1');
  let crl: X509Crl;
  try {
    crl = new X509Crl(text.includes('-----BEGIN X509 CRL-----') ? text : Buffer.from(file));
  } catch {
    throw new CrlParseError('x509: malformed crl');
  }
  return new Set(crl.entries.map((e) => serialHex(Buffer.from(e.serialNumber, 'hex'))));
}
