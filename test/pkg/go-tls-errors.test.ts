// Go's handshake error texts (etcd 3.4.23's "rejected connection" lines) from what Node reports.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goHandshakeError, goHostPort, type FailedHandshake } from '../../src/pkg/go-tls-errors.js';

const at = { local: '127.0.0.1:2379', remote: '127.0.0.1:50000' };
const openssl = (code: string, reason: string, tail = ''): FailedHandshake => ({ ...at, code, reason, message: `8000:error:0A000000:SSL routines:fn:${reason}:ssl.c:1:${tail}\n` });

test('the failures etcd logs most, in its words', () => {
  assert.equal(goHandshakeError(openssl('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', 'peer did not return a certificate')), "tls: client didn't provide a certificate");
  for (const [code, reason] of [['ERR_SSL_HTTP_REQUEST', 'http request'], ['ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number']]) {
    assert.equal(goHandshakeError(openssl(code!, reason!)), 'tls: first record does not look like a TLS handshake');
  }
  assert.equal(goHandshakeError(openssl('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'sslv3 alert bad certificate', 'SSL alert number 42')), 'remote error: tls: bad certificate');
  assert.equal(goHandshakeError(openssl('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'tlsv1 alert unknown ca', 'SSL alert number 48')), 'remote error: tls: unknown certificate authority');
  assert.equal(goHandshakeError(openssl('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'tlsv13 alert certificate required', 'SSL alert number 116')), 'remote error: tls: alert(116)');
});

test('a client certificate Node refused after the handshake', () => {
  const refused = (authorizationError: string): FailedHandshake => ({ ...at, code: 'ECONNRESET', message: 'socket hang up', authorizationError });
  for (const code of ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN']) {
    assert.equal(goHandshakeError(refused(code)), 'tls: failed to verify client certificate: x509: certificate signed by unknown authority');
  }
  assert.equal(goHandshakeError(refused('CERT_HAS_EXPIRED')), 'tls: failed to verify client certificate: x509: certificate has expired or is not yet valid');
  assert.equal(goHandshakeError(refused('INVALID_PURPOSE')), 'tls: failed to verify client certificate: x509: certificate specifies an incompatible key usage');
});

test('a client that goes away: EOF, or a reset with both ends named; a handshake timeout is not logged', () => {
  assert.equal(goHandshakeError({ ...at, code: 'ECONNRESET', message: 'socket hang up' }), 'EOF');
  assert.equal(goHandshakeError({ ...at, code: 'ECONNRESET', message: 'read ECONNRESET', syscall: 'read' }), 'read tcp 127.0.0.1:2379->127.0.0.1:50000: read: connection reset by peer');
  assert.equal(goHandshakeError({ ...at, code: 'ERR_TLS_HANDSHAKE_TIMEOUT', message: 'TLS handshake timeout' }), undefined);
});

test("Go's host:port", () => {
  assert.equal(goHostPort('127.0.0.1', 2379), '127.0.0.1:2379');
  assert.equal(goHostPort('::1', 2379), '[::1]:2379');
  assert.equal(goHostPort('::ffff:10.0.0.1', 40000), '10.0.0.1:40000');
});
