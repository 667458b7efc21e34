// --client-crl-file, --peer-crl-file, --peer-cert-allowed-cn, --peer-cert-allowed-hostname
// and --client-cert-allowed-hostname, compared with real etcd (etcd-ts once parsed them all
// and ignored them, admitting revoked or unlisted certificates). One member with https://
// client and peer URLs and client certificate auth on both; test/fixtures/tls/client.pem
// (CN "etcd-ts test client", SANs 127.0.0.1 and localhost) knocks on each port. Also the
// start-up refusal when the peer port is given both an allowed CN and an allowed hostname.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { freePort, OUR_ETCD, REAL_ETCD, REPO_ROOT, removeDir, startMember, stopMember, tempDir } from '../helpers/processes.js';

const TLS_DIR = join(REPO_ROOT, 'test', 'fixtures', 'tls');
const file = (name: string) => join(TLS_DIR, name);
const CLIENT = { ca: readFileSync(file('ca.pem')), cert: readFileSync(file('client.pem')), key: readFileSync(file('client-key.pem')) };

const CLIENT_SERIAL = new X509Certificate(CLIENT.cert).serialNumber.toLowerCase();

type Outcome = 'served' | 'refused';

function knock(url: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = https.get(`${url}/version`, { ...CLIENT, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? 'served' : 'refused'));
    });
    req.on('error', () => resolve('refused'));
  });
}

function tlsArgs(clientUrl: string, peerUrl: string): string[] {
  return [
    '--listen-client-urls', clientUrl,
    '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl,
    '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `default=${peerUrl}`,
    '--cert-file', file('server.pem'), '--key-file', file('server-key.pem'), '--trusted-ca-file', file('ca.pem'), '--client-cert-auth',
    '--peer-cert-file', file('server.pem'), '--peer-key-file', file('server-key.pem'), '--peer-trusted-ca-file', file('ca.pem'), '--peer-client-cert-auth',
  ];
}

interface Seen {
  client: Outcome;
  peer: Outcome;
  /** The distinct errors of "rejected connection" warnings about the certificate itself. */
  rejections: string[];
}

async function observe(kind: 'ours' | 'real', flags: string[]): Promise<Seen> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const clientUrl = `https://127.0.0.1:${clientPort}`;
  const peerUrl = `https://127.0.0.1:${peerPort}`;
  // The helper waits on http://…/health: a plain loopback client URL serves that.
  const plainPort = await freePort();
  const args = tlsArgs(`${clientUrl},http://127.0.0.1:${plainPort}`, peerUrl);
  const m = await startMember(kind, {
    clientPort: plainPort,
    peerPort,
    extraArgs: [...args, ...flags, ...(kind === 'real' ? ['--logger=zap'] : [])],
  });
  try {
    const client = await knock(clientUrl);
    const peer = await knock(peerUrl);
    await stopMember(m);
    const rejections = new Set<string>();
    for (const line of m.stderr().split('\n')) {
      if (!line.includes('"rejected connection"')) continue;
      const error = (JSON.parse(line) as { error: string }).error;
      // Real etcd's JSON gateway dials its own TLS port presenting server.pem, and is refused
      // too under these flags (etcd-ts serves the gateway in-process); only refusals that can
      // be the test client's count, not those of server.pem's serial or "remote error: …".
      if (error.includes(CLIENT_SERIAL) || error === 'client certificate authentication failed') rejections.add(error);
    }
    return { client, peer, rejections: [...rejections].sort() };
  } finally {
    await stopMember(m);
    removeDir(dirname(m.dataDir));
  }
}

const CASES: { name: string; flags: string[] }[] = [
  {
    name: 'client CRL revokes the client certificate; peer CRL and hostname let it in',
    flags: ['--client-crl-file', file('client-revoked.crl.pem'), '--peer-crl-file', file('server-revoked.crl.pem'), '--peer-cert-allowed-hostname', 'localhost'],
  },
  {
    name: 'peer CRL revokes the client certificate; the client CRL does not',
    flags: ['--client-crl-file', file('server-revoked.crl.pem'), '--peer-crl-file', file('client-revoked.crl.pem')],
  },
  {
    name: 'peer port allows another CN; client port allows the certificate\'s IP',
    flags: ['--peer-cert-allowed-cn', 'someone else', '--client-cert-allowed-hostname', '127.0.0.1'],
  },
  {
    name: 'peer port allows the certificate\'s CN; client port allows a name it does not hold',
    flags: ['--peer-cert-allowed-cn', 'etcd-ts test client', '--client-cert-allowed-hostname', 'example.com'],
  },
];

for (const c of CASES) {
  test(`TLS admission as on real etcd: ${c.name}`, async () => {
    const real = await observe('real', c.flags);
    const ours = await observe('ours', c.flags);
    assert.ok(real.client === 'refused' || real.peer === 'refused' || c.name.includes('let it in'), 'the case refuses something on real etcd');
    assert.deepEqual(ours, real);
  });
}

test('an allowed CN and an allowed hostname for the peer port stop the start, as on real etcd', async () => {
  const outcome = (kind: 'ours' | 'real') => {
    const dir = tempDir(`etcd-${kind}-`);
    const args = [
      '--data-dir', join(dir, 'data'),
      ...tlsArgs('http://127.0.0.1:0', 'https://127.0.0.1:0'),
      '--peer-cert-allowed-cn', 'a', '--peer-cert-allowed-hostname', 'b',
      ...(kind === 'real' ? ['--logger=zap'] : []),
    ];
    const r = spawnSync(kind === 'ours' ? process.execPath : REAL_ETCD, kind === 'ours' ? [OUR_ETCD, ...args] : args, { encoding: 'utf8', timeout: 30_000 });
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: string; msg: string; error?: string });
    removeDir(dir);
    return { status: r.status, failed: lines.filter((l) => l.error !== undefined).map((l) => ({ level: l.level, msg: l.msg, error: l.error })) };
  };
  const real = outcome('real');
  const ours = outcome('ours');
  assert.equal(real.status, 1);
  assert.deepEqual(ours.status, real.status);
  // Real etcd's last words are zap's "fatal"; etcd-ts logs the same line at error level.
  assert.deepEqual(
    ours.failed.map((l) => ({ ...l, level: l.level === 'fatal' ? 'error' : l.level })),
    real.failed.map((l) => ({ ...l, level: l.level === 'fatal' ? 'error' : l.level })),
  );
});
