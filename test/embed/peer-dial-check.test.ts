// The allowed CN / hostname rule applied to the certificate a dialled peer answers with
// (peerDialCheck), on the test fixtures: server.pem (CN "etcd-ts test server") and
// client.pem (CN "etcd-ts test client"), both for IP 127.0.0.1 and DNS localhost.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type tls from 'node:tls';
import type { TlsConfig } from '../../src/embed/config.js';
import { ERR_CLIENT_CERT_AUTH, peerDialCheck } from '../../src/embed/tls-admission.js';
import { peerClientTls } from '../../src/embed/tls-files.js';
import { withAutoTls } from '../../src/embed/auto-tls.js';
import { createLogger } from '../../src/embed/logger.js';
import { REPO_ROOT } from '../helpers/processes.js';

const fixture = (name: string): tls.PeerCertificate =>
  new X509Certificate(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'tls', name))).toLegacyObject() as tls.PeerCertificate;
const SERVER = fixture('server.pem');
const CLIENT = fixture('client.pem');

function peerTls(rule: { cns?: string[]; hosts?: string[] }): TlsConfig {
  return {
    certFile: 'server.pem', keyFile: 'server-key.pem', clientCertFile: '', clientKeyFile: '',
    clientCertAuth: true, trustedCaFile: 'ca.pem', crlFile: '', autoTls: false,
    allowedCns: rule.cns ?? [], allowedHostnames: rule.hosts ?? [],
  };
}

test('without an allowed CN or hostname a dialled peer is judged by the CA and the dialled host only', () => {
  assert.equal(peerDialCheck(peerTls({})), undefined);
});

test('an allowed CN admits the peer whose certificate carries it and refuses another with Go\'s words', () => {
  const check = peerDialCheck(peerTls({ cns: ['etcd-ts test server'] }))!;
  assert.equal(check('127.0.0.1', SERVER), undefined);
  assert.equal(check('127.0.0.1', CLIENT)?.message, ERR_CLIENT_CERT_AUTH);
});

test('an allowed hostname admits a certificate valid for it, by SAN only', () => {
  assert.equal(peerDialCheck(peerTls({ hosts: ['localhost'] }))!('127.0.0.1', CLIENT), undefined);
  assert.equal(peerDialCheck(peerTls({ hosts: ['127.0.0.1'] }))!('127.0.0.1', CLIENT), undefined);
  assert.equal(peerDialCheck(peerTls({ hosts: ['example.com'] }))!('127.0.0.1', CLIENT)?.message, ERR_CLIENT_CERT_AUTH);
  // The CN is a name too, but Go (and so etcd) never matches a hostname against it.
  assert.equal(peerDialCheck(peerTls({ hosts: ['etcd-ts test client'] }))!('127.0.0.1', CLIENT)?.message, ERR_CLIENT_CERT_AUTH);
});

test('a certificate not valid for the dialled host fails on that first, as Go\'s client verifies it', () => {
  const err = peerDialCheck(peerTls({ cns: ['etcd-ts test server'] }))!('example.com', SERVER);
  assert.ok(err instanceof Error);
  assert.notEqual(err.message, ERR_CLIENT_CERT_AUTH);
});

test('a member dials with the rule only when it has a peer certificate of its own and it is not self-signed, as etcd', async (t) => {
  const dir = join(REPO_ROOT, 'test', 'fixtures', 'tls');
  const withCert = { ...peerTls({ cns: ['etcd-ts test server'] }), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server-key.pem'), trustedCaFile: join(dir, 'ca.pem') };
  assert.equal(typeof peerClientTls(withCert)?.checkServerIdentity, 'function');
  assert.equal(peerClientTls({ ...withCert, certFile: '', keyFile: '' })?.checkServerIdentity, undefined);
  // --peer-auto-tls with the allowed CN given: the self-signed configuration it leads to.
  const dataDir = mkdtempSync(join(tmpdir(), 'etcd-peer-dial-auto-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const quiet = createLogger('error', ['stderr'], { stream: { write: () => undefined } });
  const selfSigned = await withAutoTls({ ...peerTls({ cns: ['etcd-ts test server'] }), certFile: '', keyFile: '', autoTls: true }, dataDir, ['https://127.0.0.1:2380'], 'peer', quiet);
  assert.equal(selfSigned.selfSigned, true);
  assert.equal(peerClientTls(selfSigned)?.checkServerIdentity, undefined);
});
