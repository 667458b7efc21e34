// A self-signed X.509 certificate for etcd's --auto-tls / --peer-auto-tls: an ECDSA P-521
// key, subject O=etcd, valid for a year from now, usable for TLS server auth, with the
// listen URLs' hosts as IP or DNS subject alternative names (what etcd's generated
// certificates hold). Node creates the key; @peculiar/x509 builds and signs the certificate.

import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

// The library is typed against the DOM's Web Crypto types; node's are the same objects.
type CreateParams = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>;
type WebCryptoKeys = CreateParams[0]['keys'];
type WebCrypto = NonNullable<CreateParams[1]>;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-521', hash: 'SHA-512' };
const VALIDITY_MS = 365 * 24 * 3600 * 1000;

export interface SelfSignedPem {
  cert: string;
  /** SEC 1 ("EC PRIVATE KEY"), as etcd writes it. */
  key: string;
}

/** A certificate for `hosts` (IPs or DNS names), valid from `now` for 365 days. */
export async function selfSignedCert(hosts: readonly string[], now = new Date()): Promise<SelfSignedPem> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  // A random positive 128-bit serial (the top bit cleared keeps the DER integer positive).
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial.toString('hex'),
      name: 'O=etcd',
      notBefore: now,
      notAfter: new Date(now.getTime() + VALIDITY_MS),
      signingAlgorithm: ALGORITHM,
      keys: keys as unknown as WebCryptoKeys,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.BasicConstraintsExtension(false, undefined, true),
        ...(hosts.length > 0 ? [new x509.SubjectAlternativeNameExtension(hosts.map((h) => (isIP(h) !== 0 ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h })))] : []),
      ],
    },
    webcrypto as unknown as WebCrypto,
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return {
    cert: `${cert.toString('pem')}\n`,
    key: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'sec1', format: 'pem' }).toString(),
  };
}
