// etcd 3.4.23's warnings for TLS flags given with plain listen URLs (compared with real etcd
// in test/e2e/tls-rejected-connection-vs-real-etcd.test.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpUrlTlsWarnings } from '../../src/embed/http-url-tls-warnings.js';
import type { TlsConfig } from '../../src/embed/config.js';

const NONE: TlsConfig = { certFile: '', keyFile: '', clientCertFile: '', clientKeyFile: '', clientCertAuth: false, trustedCaFile: '', crlFile: '', autoTls: false, allowedHostnames: [], allowedCns: [] };

test('one warning per plain URL and flag, in sorted URL order; https URLs and unset flags none', () => {
  const tls = { ...NONE, certFile: 'c.pem', keyFile: 'k.pem', clientCertAuth: true };
  const lines = httpUrlTlsWarnings('client', ['https://a:1', 'unix://s:3', 'http://b:2'], tls).map((r) => [r.caller, r.msg, r.fields]);
  assert.deepEqual(lines, [
    ['embed/etcd.go:625', 'scheme is HTTP while key and cert files are present; ignoring key and cert files', { 'client-url': 'http://b:2' }],
    ['embed/etcd.go:632', 'scheme is HTTP while --client-cert-auth is enabled; ignoring client cert auth for this URL', { 'client-url': 'http://b:2' }],
    ['embed/etcd.go:625', 'scheme is HTTP while key and cert files are present; ignoring key and cert files', { 'client-url': 'unix://s:3' }],
    ['embed/etcd.go:632', 'scheme is HTTP while --client-cert-auth is enabled; ignoring client cert auth for this URL', { 'client-url': 'unix://s:3' }],
  ]);
  assert.deepEqual(httpUrlTlsWarnings('client', ['http://b:2'], NONE), []);
});

test('the peer side: a key file alone is enough; unix:// is no peer scheme', () => {
  const lines = httpUrlTlsWarnings('peer', ['http://p:2380', 'unix://q:1'], { ...NONE, keyFile: 'k.pem', clientCertAuth: true }).map((r) => [r.level, r.caller, r.msg, r.fields]);
  assert.deepEqual(lines, [
    ['warn', 'embed/etcd.go:513', 'scheme is HTTP while key and cert files are present; ignoring key and cert files', { 'peer-url': 'http://p:2380' }],
    ['warn', 'embed/etcd.go:520', 'scheme is HTTP while --peer-client-cert-auth is enabled; ignoring client cert auth for this URL', { 'peer-url': 'http://p:2380' }],
  ]);
});
