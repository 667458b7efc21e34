// selfSignedCert's certificate is one Node's X.509 parser reads back: signed by its own
// key, with IP (v4 and v6) and DNS names in order, and a private key that matches it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { selfSignedCert } from '../../src/pkg/self-signed-cert.js';

test('a self-signed certificate for IPs and names parses, verifies and matches its key', async () => {
  const pem = await selfSignedCert(['127.0.0.1', '::1', 'fe80::1:2', 'localhost'], new Date(Date.UTC(2030, 0, 2, 3, 4, 5)));
  const x = new X509Certificate(pem.cert);
  assert.equal(x.subject, 'O=etcd');
  assert.equal(x.subjectAltName, 'IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:FE80:0:0:0:0:0:1:2, DNS:localhost');
  assert.equal(x.validFrom, 'Jan  2 03:04:05 2030 GMT');
  assert.equal(x.validTo, 'Jan  2 03:04:05 2031 GMT');
  assert.equal(x.ca, false);
  assert.ok(x.verify(x.publicKey));
  assert.ok(x.checkPrivateKey(createPrivateKey(pem.key)));
  assert.match(pem.key, /^-----BEGIN EC PRIVATE KEY-----/);
});
