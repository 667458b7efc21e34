// Certificate, key and CA files that can be read but do not hold what the flag asks for:
// text that is not PEM, the certificate and key swapped, a key of another certificate, a
// CRL or a key where certificates belong. Real etcd 3.4.23 and etcd-ts are started on the
// same flags and must fail with the same lines (level, caller, msg, Go's error text) and
// exit code; a CA file without any PEM is no error to etcd, and both then refuse clients.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { etcdctl, freePort, OUR_ETCD, REAL_ETCD, removeDir, stopMember, tempDir } from '../helpers/processes.js';
import { startClientTlsMember, tlsFixture } from '../helpers/tls-member.js';

const file = tlsFixture;

/** A file of plain text in a directory of its own, removed when the tests end. */
const scratch = tempDir('etcd-not-pem-');
const GARBAGE = join(scratch, 'garbage.txt');
writeFileSync(GARBAGE, 'this is not a PEM file\n');
test.after(() => removeDir(scratch));

interface Failure {
  status: number | null;
  failed: { level: string; caller?: string; msg: string; error?: string }[];
}

/** Starts one member whose client (or peer) URL is https, with `tlsFlags`; it is expected to end by itself. */
async function failure(kind: 'ours' | 'real', side: 'client' | 'peer', tlsFlags: string[]): Promise<Failure> {
  const client = `${side === 'client' ? 'https' : 'http'}://127.0.0.1:${await freePort()}`;
  const peer = `${side === 'peer' ? 'https' : 'http'}://127.0.0.1:${await freePort()}`;
  const dir = tempDir('etcd-not-pem-start-');
  const args = [
    '--data-dir', join(dir, 'data'),
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `default=${peer}`,
    ...tlsFlags,
    // etcd 3.4 writes zap's JSON lines only when asked; etcd-ts always does (3.5's default).
    ...(kind === 'real' ? ['--logger=zap'] : []),
  ];
  const r = kind === 'ours' ? spawnSync(process.execPath, [OUR_ETCD, ...args], { encoding: 'utf8', timeout: 30_000 }) : spawnSync(REAL_ETCD, args, { encoding: 'utf8', timeout: 30_000 });
  removeDir(dir);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Failure['failed'][number]);
  // The lines that carry an error (real etcd's fatal line adds a Go stack trace, left out).
  return { status: r.status, failed: lines.filter((l) => l.error !== undefined).map((l) => ({ level: l.level, caller: l.caller, msg: l.msg, error: l.error })) };
}

/** Each case's flags, written for the client side; the peer side uses the --peer- twins. */
const CASES: [string, string[]][] = [
  ['the certificate is not PEM', ['--cert-file', GARBAGE, '--key-file', file('server-key.pem')]],
  ['the key is not PEM', ['--cert-file', file('server.pem'), '--key-file', GARBAGE]],
  ['certificate and key swapped', ['--cert-file', file('server-key.pem'), '--key-file', file('server.pem')]],
  ["the key is another certificate's", ['--cert-file', file('server.pem'), '--key-file', file('client-key.pem')]],
  ['a certificate in the key file', ['--cert-file', file('server.pem'), '--key-file', file('ca.pem')]],
  ['a CRL in the certificate file', ['--cert-file', file('server-revoked.crl.pem'), '--key-file', file('server-key.pem')]],
  ['a key in the CA file', ['--cert-file', file('server.pem'), '--key-file', file('server-key.pem'), '--trusted-ca-file', file('server-key.pem'), '--client-cert-auth']],
  ['a CRL in the CA file', ['--cert-file', file('server.pem'), '--key-file', file('server-key.pem'), '--trusted-ca-file', file('server-revoked.crl.pem'), '--client-cert-auth']],
];

const peerFlags = (flags: string[]) => flags.map((f) => (f.startsWith('--') ? f.replace(/^--/, '--peer-') : f));

test('client certificate, key or CA files that hold the wrong thing end etcd as a failed listener, in Go words', async () => {
  for (const [name, flags] of CASES) {
    const real = await failure('real', 'client', flags);
    const ours = await failure('ours', 'client', flags);
    assert.equal(real.status, 1, `${name}: real etcd's exit code`);
    assert.equal(real.failed.length, 1, `${name}: real etcd's lines: ${JSON.stringify(real.failed)}`);
    assert.deepEqual(ours, real, name);
  }
  assert.deepEqual((await failure('ours', 'client', CASES[0]![1])).failed, [
    { level: 'fatal', caller: 'etcdmain/etcd.go:290', msg: 'listener failed', error: 'tls: failed to find any PEM data in certificate input' },
  ]);
});

test('peer certificate, key or CA files that hold the wrong thing fail the start, in Go words', async () => {
  for (const [name, flags] of CASES) {
    const real = await failure('real', 'peer', peerFlags(flags));
    const ours = await failure('ours', 'peer', peerFlags(flags));
    assert.equal(real.status, 1, `${name}: real etcd's exit code`);
    assert.deepEqual(ours, real, name);
  }
  // One that cannot be read at all fails the same way (the client side is in client-tls-vs-real-etcd).
  const missing = ['--peer-cert-file', '/nonexistent.pem', '--peer-key-file', file('server-key.pem')];
  assert.deepEqual(await failure('ours', 'peer', missing), await failure('real', 'peer', missing), 'no such peer certificate');
  // With an http:// peer URL etcd does not serve the peer certificate but still loads it to dial its peers.
  const dialOnly = ['--cert-file', file('server.pem'), '--key-file', file('server-key.pem'), '--peer-cert-file', GARBAGE, '--peer-key-file', file('server-key.pem')];
  assert.deepEqual(await failure('ours', 'client', dialOnly), await failure('real', 'client', dialOnly), 'a peer certificate that is not PEM, http:// peer URL');
  const error = 'tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched';
  assert.deepEqual((await failure('ours', 'peer', peerFlags(CASES[2]![1]))).failed, [
    { level: 'warn', caller: 'etcdmain/etcd.go:176', msg: 'failed to start etcd', error },
    { level: 'fatal', caller: 'etcdmain/etcd.go:271', msg: 'discovery failed', error },
  ]);
});

test('a CA file with no PEM in it starts the member, which then refuses every client certificate', async (t) => {
  const start = (kind: 'ours' | 'real') => startClientTlsMember(kind, GARBAGE);
  const real = await start('real');
  const ours = await start('ours');
  t.after(async () => {
    for (const x of [real, ours]) {
      await stopMember(x.m);
      removeDir(x.m.dataDir);
    }
  });
  const get = (x: { httpsUrl: string }) => {
    const r = etcdctl('real', ['--endpoints', x.httpsUrl, '--dial-timeout', '1s', '--cacert', file('ca.pem'), '--cert', file('client.pem'), '--key', file('client-key.pem'), 'get', 'foo']);
    // etcdctl's own warning lines carry a timestamp and a client id; the outcome is the last line.
    return { status: r.status, lastErr: r.stderr.trim().split('\n').at(-1) ?? '' };
  };
  const theirs = get(real);
  assert.equal(theirs.status, 1, theirs.lastErr);
  assert.deepEqual(get(ours), theirs);
});
