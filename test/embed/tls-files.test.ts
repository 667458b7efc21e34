// Start-up failures for certificate files a TLS listener cannot read, in the words etcd
// 3.4.23 logs them (checked by hand: `etcd --cert-file /tmp --key-file /tmp` with an
// https:// client URL fails with "read /tmp: is a directory").

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsConfig } from '../../src/embed/config.js';
import { serverTlsFor } from '../../src/embed/tls-files.js';

function withFiles(certFile: string, keyFile: string): TlsConfig {
  return { certFile, keyFile, clientCertFile: '', clientKeyFile: '', clientCertAuth: false, trustedCaFile: '', crlFile: '', autoTls: false, allowedCns: [], allowedHostnames: [] };
}

test('a certificate path that names a directory or nothing fails start-up with os.ReadFile\'s words', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tls-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const flags = { cert: '--cert-file', key: '--key-file' };
  assert.throws(() => serverTlsFor('https://127.0.0.1:2379', withFiles(dir, dir), flags), { message: `read ${dir}: is a directory` });
  const missing = join(dir, 'missing.pem');
  assert.throws(() => serverTlsFor('https://127.0.0.1:2379', withFiles(missing, missing), flags), { message: `open ${missing}: no such file or directory` });
});
