// revokedSerials reads the serial numbers out of a CRL the way etcd's CRL check does (no
// signature or date checks), from PEM or DER, in the lower-case hex etcd logs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CrlParseError, revokedSerials, serialHex } from '../../src/pkg/x509-crl.js';
import { REPO_ROOT } from '../helpers/processes.js';

const fixture = (name: string) => readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'tls', name));
const serialOf = (pem: string) => new X509Certificate(fixture(pem)).serialNumber.toLowerCase();

test('a PEM CRL lists exactly the certificates it revokes', () => {
  assert.deepEqual([...revokedSerials(fixture('client-revoked.crl.pem'))], [serialOf('client.pem')]);
  assert.deepEqual([...revokedSerials(fixture('server-revoked.crl.pem'))], [serialOf('server.pem')]);
});

test('the same CRL in DER gives the same serials', () => {
  const pem = fixture('client-revoked.crl.pem').toString();
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  assert.deepEqual(revokedSerials(der), revokedSerials(fixture('client-revoked.crl.pem')));
});

test('serials drop leading zero bytes, as Go big.Int bytes do', () => {
  assert.equal(serialHex(Uint8Array.of(0, 0x80, 1)), '8001');
  assert.equal(serialHex(Uint8Array.of(0x06, 0xcb)), '06cb');
});

test('bytes that are not a CRL are refused', () => {
  assert.throws(() => revokedSerials(Buffer.from('not a crl')), CrlParseError);
  assert.throws(() => revokedSerials(Uint8Array.of(0x30, 0x05, 0x02)), CrlParseError);
});
