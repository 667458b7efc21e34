// Two log lines operators grep etcd for, compared with real etcd 3.4.23 (--logger=zap):
//  - "rejected connection": each client or peer connection whose TLS handshake fails (a
//    certificate from a CA the member does not trust, none under client cert auth, plain
//    HTTP or a plaintext HTTP/2 preface on an https:// port, a client that hangs up), with
//    Go's error text; a handshake that succeeds logs nothing;
//  - "scheme is HTTP while …": TLS flags given with an http:// listen URL, which ignores them.
// Lines are compared parsed: level, caller, msg and fields in order; not timestamps or ports.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort, REPO_ROOT, removeDir, startMember, stopMember, type Member } from '../helpers/processes.js';

const TLS_DIR = join(REPO_ROOT, 'test', 'fixtures', 'tls');
const file = (name: string) => join(TLS_DIR, name);
const CA = readFileSync(file('ca.pem'));
const CLIENT = { cert: readFileSync(file('client.pem')), key: readFileSync(file('client-key.pem')) };
/** A client certificate signed by a CA the members do not trust. */
const STRANGER = { cert: readFileSync(file('stranger.pem')), key: readFileSync(file('stranger-key.pem')) };

type Line = Record<string, unknown>;

function jsonLines(m: Member): Line[] {
  return m
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

/** The member's "rejected connection" line for a connection from local port `port`, once it is written. */
async function rejectionOf(m: Member, port: number): Promise<Line> {
  const addr = `127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    const line = jsonLines(m).find((l) => l.msg === 'rejected connection' && l['remote-addr'] === addr);
    if (line !== undefined) return line;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`${m.kind}: no "rejected connection" for ${addr}:\n${m.stderr()}`);
}

/** The line without what differs from run to run: the time and the client's port. */
function shape(line: Line): Line {
  const { ts: _ts, ...rest } = line;
  return { ...rest, 'remote-addr': String(rest['remote-addr']).replace(/:\d+$/, ':PORT') };
}

/** Opens a connection, runs `talk` on it, and resolves with its local port once it has closed. */
function connection(open: () => net.Socket, talk: (s: net.Socket) => void = () => undefined): Promise<number> {
  return new Promise((resolve) => {
    const s = open();
    let port = 0;
    s.on('connect', () => {
      port = s.localPort ?? 0;
      talk(s);
    });
    s.on('data', () => undefined);
    s.on('error', () => undefined);
    s.on('close', () => resolve(port));
  });
}

/** Clients whose handshakes fail, each by a different fault, against the TLS port `port`. */
const FAULTS: Record<string, (port: number) => Promise<number>> = {
  'a certificate from an unknown CA': (port) =>
    connection(() => tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: CA, ...STRANGER })),
  'no certificate under client cert auth': (port) => connection(() => tls.connect({ host: '127.0.0.1', port, ca: CA })),
  'plain HTTP on the https port': (port) =>
    connection(
      () => net.connect({ host: '127.0.0.1', port }),
      (s) => s.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
    ),
  'a plaintext gRPC client (HTTP/2 preface)': (port) =>
    connection(
      () => net.connect({ host: '127.0.0.1', port }),
      (s) => s.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
    ),
  'a client that hangs up before its hello': (port) =>
    connection(
      () => net.connect({ host: '127.0.0.1', port }),
      (s) => s.end(),
    ),
};

const EXPECTED: Record<string, string> = {
  'a certificate from an unknown CA': 'tls: failed to verify client certificate: x509: certificate signed by unknown authority',
  'no certificate under client cert auth': "tls: client didn't provide a certificate",
  'plain HTTP on the https port': 'tls: first record does not look like a TLS handshake',
  'a plaintext gRPC client (HTTP/2 preface)': 'tls: first record does not look like a TLS handshake',
  'a client that hangs up before its hello': 'EOF',
};

/** A good client: its handshake completes, and then it leaves. */
function goodClient(port: number): Promise<number> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: CA, ...CLIENT }, () => {
      const local = s.localPort ?? 0;
      s.end();
      s.on('close', () => resolve(local));
    });
    s.on('error', () => undefined);
  });
}

interface Started {
  m: Member;
  /** The https:// port the faults knock on. */
  tlsPort: number;
  /** Listen URLs by role, to compare warnings that name them. */
  urls: Record<string, string>;
}

/**
 * side 'client': an https:// client URL with client cert auth beside the plain one the
 * helper polls, and an http:// peer URL given peer certificate flags. side 'peer': an
 * https:// peer URL with peer client cert auth, and plain client URLs given --cert-file.
 */
async function start(kind: 'ours' | 'real', side: 'client' | 'peer'): Promise<Started> {
  const plainPort = await freePort();
  const peerPort = await freePort();
  const tlsClientPort = await freePort();
  const plain = `http://127.0.0.1:${plainPort}`;
  const tlsClient = `https://127.0.0.1:${tlsClientPort}`;
  const peer = `${side === 'peer' ? 'https' : 'http'}://127.0.0.1:${peerPort}`;
  const clientUrls = side === 'client' ? `${tlsClient},${plain}` : plain;
  const m = await startMember(kind, {
    clientPort: plainPort,
    peerPort,
    extraArgs: [
      '--listen-client-urls', clientUrls,
      '--advertise-client-urls', plain,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `default=${peer}`,
      '--cert-file', file('server.pem'), '--key-file', file('server-key.pem'), '--trusted-ca-file', file('ca.pem'), '--client-cert-auth',
      '--peer-cert-file', file('server.pem'), '--peer-key-file', file('server-key.pem'), '--peer-trusted-ca-file', file('ca.pem'), '--peer-client-cert-auth',
      // etcd 3.4 writes zap's JSON lines only when asked; etcd-ts always does.
      ...(kind === 'real' ? ['--logger=zap'] : []),
    ],
  });
  return { m, tlsPort: side === 'client' ? tlsClientPort : peerPort, urls: { PLAIN_CLIENT: plain, PEER: peer } };
}

/** The "scheme is HTTP" warnings, with URLs named by role. */
function schemeWarnings(s: Started): Line[] {
  const role = new Map(Object.entries(s.urls).map(([k, v]) => [v, k]));
  return jsonLines(s.m)
    .filter((l) => String(l.msg).startsWith('scheme is HTTP'))
    .map(({ ts: _ts, ...l }) => Object.fromEntries(Object.entries(l).map(([k, v]) => [k, typeof v === 'string' ? role.get(v) ?? v : v])));
}

for (const side of ['client', 'peer'] as const) {
  test(`a failed TLS handshake on the ${side} port is logged as etcd 3.4.23 logs it, a good one not at all`, async (t) => {
    const real = await start('real', side);
    const ours = await start('ours', side);
    t.after(async () => {
      for (const x of [real, ours]) {
        await stopMember(x.m);
        removeDir(dirname(x.m.dataDir));
      }
    });

    for (const [fault, knock] of Object.entries(FAULTS)) {
      const theirs = shape(await rejectionOf(real.m, await knock(real.tlsPort)));
      const mine = shape(await rejectionOf(ours.m, await knock(ours.tlsPort)));
      assert.equal(theirs.error, EXPECTED[fault], `real etcd, ${fault}`);
      // Keys in etcd's order too: level, ts (dropped), caller, msg, remote-addr, server-name, error.
      assert.deepEqual(Object.entries(mine), Object.entries(theirs), fault);
    }

    // A completed handshake is no rejection: nothing names its port, even once a later failure is logged.
    for (const x of [real, ours]) {
      const good = await goodClient(x.tlsPort);
      await rejectionOf(x.m, await FAULTS['a client that hangs up before its hello']!(x.tlsPort));
      assert.equal(jsonLines(x.m).some((l) => l['remote-addr'] === `127.0.0.1:${good}`), false, `${x.m.kind}: a line for a good client`);
    }

    // And the TLS flags an http:// URL beside it ignores.
    assert.deepEqual(schemeWarnings(ours), schemeWarnings(real));
    assert.deepEqual(
      schemeWarnings(real).map((l) => [l.caller, l['peer-url'] ?? l['client-url']]),
      side === 'client'
        ? [['embed/etcd.go:513', 'PEER'], ['embed/etcd.go:520', 'PEER'], ['embed/etcd.go:625', 'PLAIN_CLIENT'], ['embed/etcd.go:632', 'PLAIN_CLIENT']]
        : [['embed/etcd.go:625', 'PLAIN_CLIENT'], ['embed/etcd.go:632', 'PLAIN_CLIENT']],
    );
  });
}
