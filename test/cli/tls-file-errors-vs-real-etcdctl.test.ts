// Bad --cert/--key/--cacert files stop etcdctl before it dials, with Go's error text and
// exit code 128: missing files, a directory, no PEM, inputs switched, a key that does not
// match, a cert without its key. Compared with Debian's etcdctl 3.4.23 (no server needed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selfSignedCert } from '../../src/pkg/self-signed-cert.js';
import { etcdctl, removeDir, tempDir } from '../helpers/processes.js';

test('bad TLS file flags give etcdctl 3.4.23 errors and exit codes', async (t) => {
  const dir = tempDir('etcdctl-tls-files-');
  t.after(() => removeDir(dir));
  const pem = await selfSignedCert(['127.0.0.1']);
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const cert = file('cert.pem', pem.cert);
  const key = file('key.pem', pem.key);
  const other = file('other.key', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString());
  const garbage = file('garbage.pem', 'not pem\n');
  const missing = join(dir, 'missing.pem');
  const cases: string[][] = [
    ['--cacert', missing],
    ['--cacert', dir],
    ['--cert', missing, '--key', missing],
    ['--cert', cert, '--key', missing],
    ['--cert', garbage, '--key', key],
    ['--cert', cert, '--key', garbage],
    ['--cert', key, '--key', key],
    ['--cert', cert, '--key', cert],
    ['--cert', cert, '--key', other],
    ['--cert', cert],
    ['--key', key],
  ];
  for (const flags of cases) {
    const args = ['--endpoints', '127.0.0.1:1', '--dial-timeout', '1s', ...flags, 'get', 'foo'];
    const real = etcdctl('real', args);
    const ours = etcdctl('ours', args);
    assert.equal(real.status, 128, `${flags.join(' ')}: ${real.stderr}`);
    assert.deepEqual({ status: ours.status, stderr: ours.stderr, stdout: ours.stdout }, { status: real.status, stderr: real.stderr, stdout: real.stdout }, flags.join(' '));
  }
});
