// --auto-tls and --peer-auto-tls with https:// URLs and no certificate flags, compared with
// real etcd (etcd-ts once parsed both, ignored them, and refused to start for want of a
// certificate). Each member makes a self-signed certificate per side under
// <data-dir>/fixtures/{client,peer}, serves TLS with it, logs the files it created, and
// reuses them on a restart.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort, removeDir, startMember, stopMember, tempDir, type Member } from '../helpers/processes.js';

const DAY_MS = 24 * 3600 * 1000;

/** A GET over TLS with no client certificate: the status and body, or the connection's error code. */
function getWithoutCert(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = https.get(url, { rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
  });
}

/** The certificate a TLS port presents. */
function presented(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get(`${url}/version`, { rejectUnauthorized: false, agent: false }, (res) => {
      const cert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
      res.resume();
      res.on('end', () => resolve(cert.fingerprint256));
    });
    req.on('error', reject);
  });
}

interface CertSeen {
  mode: { cert: string; key: string };
  subject: string;
  san: string | undefined;
  extKeyUsage: string[] | undefined;
  ca: boolean;
  validDays: number;
  /** Whether the port serves with this very certificate. */
  served: boolean;
}

async function certSeen(dataDir: string, side: 'client' | 'peer', url: string): Promise<CertSeen> {
  const dir = join(dataDir, 'fixtures', side);
  const x = new X509Certificate(readFileSync(join(dir, 'cert.pem')));
  const mode = (f: string) => (statSync(join(dir, f)).mode & 0o777).toString(8);
  return {
    mode: { cert: mode('cert.pem'), key: mode('key.pem') },
    subject: x.subject,
    san: x.subjectAltName?.replace(/:\d+/g, ':<port>'),
    extKeyUsage: x.keyUsage,
    ca: x.ca,
    validDays: Math.round((Date.parse(x.validTo) - Date.parse(x.validFrom)) / DAY_MS),
    served: (await presented(url)) === x.fingerprint256,
  };
}

interface Seen {
  client: CertSeen;
  peer: CertSeen;
  /** "created … file" log lines, data dir replaced by <dir>. */
  created: string[];
  /** Whether a restart kept both certificates. */
  reusedOnRestart: boolean;
}

async function start(kind: 'ours' | 'real', dataDir: string, clientPort: number, peerPort: number, plainPort: number, more: string[] = []): Promise<Member> {
  const clientUrl = `https://127.0.0.1:${clientPort}`;
  const peerUrl = `https://127.0.0.1:${peerPort}`;
  return startMember(kind, {
    dataDir,
    clientPort: plainPort,
    peerPort,
    extraArgs: [
      '--listen-client-urls', `${clientUrl},http://127.0.0.1:${plainPort}`,
      '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrl,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `default=${peerUrl}`,
      '--auto-tls', '--peer-auto-tls',
      ...more,
      ...(kind === 'real' ? ['--logger=zap'] : []),
    ],
  });
}

async function observe(kind: 'ours' | 'real'): Promise<Seen> {
  const dataDir = join(tempDir(`etcd-${kind}-`), 'data');
  const [clientPort, peerPort, plainPort] = [await freePort(), await freePort(), await freePort()];
  let m = await start(kind, dataDir, clientPort, peerPort, plainPort);
  try {
    const client = await certSeen(dataDir, 'client', `https://127.0.0.1:${clientPort}`);
    const peer = await certSeen(dataDir, 'peer', `https://127.0.0.1:${peerPort}`);
    await stopMember(m);
    const created = m
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"msg":"created'))
      .map((l) => {
        const r = JSON.parse(l) as { msg: string; path: string };
        return `${r.msg} ${r.path.replace(dataDir, '<dir>')}`;
      });
    const before = [readFileSync(join(dataDir, 'fixtures', 'client', 'cert.pem'), 'utf8'), readFileSync(join(dataDir, 'fixtures', 'peer', 'cert.pem'), 'utf8')];
    m = await start(kind, dataDir, clientPort, peerPort, plainPort);
    const after = [readFileSync(join(dataDir, 'fixtures', 'client', 'cert.pem'), 'utf8'), readFileSync(join(dataDir, 'fixtures', 'peer', 'cert.pem'), 'utf8')];
    const servedAgain = (await certSeen(dataDir, 'client', `https://127.0.0.1:${clientPort}`)).served;
    return { client, peer, created, reusedOnRestart: servedAgain && JSON.stringify(before) === JSON.stringify(after) };
  } finally {
    await stopMember(m);
    removeDir(dirname(dataDir));
  }
}

test('--auto-tls and --peer-auto-tls make, serve and keep self-signed certificates as real etcd does', async () => {
  const real = await observe('real');
  const ours = await observe('ours');
  assert.equal(real.client.served, true);
  assert.equal(real.reusedOnRestart, true);
  assert.deepEqual(ours, real);
});

test('auto TLS replaces the TLS flags given with it: with --client-cert-auth too, a client without a certificate is served, as by real etcd', async () => {
  const seen: Record<string, string> = {};
  for (const kind of ['real', 'ours'] as const) {
    const dataDir = join(tempDir(`etcd-${kind}-`), 'data');
    const [clientPort, peerPort, plainPort] = [await freePort(), await freePort(), await freePort()];
    const m = await start(kind, dataDir, clientPort, peerPort, plainPort, ['--client-cert-auth', '--peer-client-cert-auth']);
    try {
      seen[kind] = await getWithoutCert(`https://127.0.0.1:${clientPort}/version`);
    } finally {
      await stopMember(m);
      removeDir(dirname(dataDir));
    }
  }
  assert.match(seen['real']!, /^200 \{"etcdserver":"3\.4\.23"/);
  assert.match(seen['ours']!, /^200 \{"etcdserver":"3\.5\.17"/);
});
