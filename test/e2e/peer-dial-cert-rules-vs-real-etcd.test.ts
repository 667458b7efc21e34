// --peer-cert-allowed-cn holds when a member dials its peers, not only when it accepts them:
// a member refuses to send raft messages to, or fetch the cluster from, a peer whose
// certificate its own rule would refuse (etcd-ts once checked accepted connections only).
//
// Against real etcd 3.4.23, one member at a time (a cluster mixing the two is not supported):
// its peer "b" is a stand-in HTTPS server in this process that presents
// test/fixtures/tls/client.pem (CN "etcd-ts test client") or server.pem (CN "etcd-ts test
// server"); the member allows only CN "etcd-ts test server". Then two etcd-ts members whose
// only failing direction is the dial: b answers with client.pem but dials with server.pem
// (--peer-client-cert-file), so a admits b's connections and refuses only its own to b.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, REPO_ROOT, removeDir, stopMember, tempDir, waitReady, type Member } from '../helpers/processes.js';
import { initialCluster, spawnMember, waitFor, type MemberSpec } from '../helpers/cluster.js';

const TLS_DIR = join(REPO_ROOT, 'test', 'fixtures', 'tls');
const file = (name: string): string => join(TLS_DIR, name);
const ALLOWED_CN = 'etcd-ts test server';

function peerTlsArgs(cert: 'server' | 'client'): string[] {
  return [
    '--peer-cert-file', file(`${cert}.pem`), '--peer-key-file', file(`${cert}-key.pem`),
    '--peer-trusted-ca-file', file('ca.pem'), '--peer-client-cert-auth',
  ];
}

interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

function logLines(m: Member): LogLine[] {
  return m.stderr().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
}

/** A log line without what differs between runs and implementations (time, source line). */
function comparable(l: LogLine): Record<string, unknown> {
  const { ts: _ts, caller: _caller, ...rest } = l;
  return rest;
}

const UNHEALTHY = 'prober detected unhealthy status';

interface StandInPeer {
  requests: () => number;
  close: () => Promise<void>;
}

/** A stand-in for peer b: serves TLS with `cert` and counts the HTTP requests that reach it. */
async function standInPeer(cert: 'server' | 'client', port: number): Promise<StandInPeer> {
  let requests = 0;
  const server = https.createServer(
    { cert: readFileSync(file(`${cert}.pem`)), key: readFileSync(file(`${cert}-key.pem`)), ca: readFileSync(file('ca.pem')), requestCert: true, rejectUnauthorized: false },
    (_req, res) => {
      requests++;
      res.statusCode = 404;
      res.end();
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    requests: () => requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function specPair(): Promise<[MemberSpec, MemberSpec]> {
  return [
    { name: 'a', clientPort: await freePort(), peerPort: await freePort(), peerScheme: 'https' },
    { name: 'b', clientPort: await freePort(), peerPort: await freePort(), peerScheme: 'https' },
  ];
}

interface DialOutcome {
  /** The member's warnings about peer b, once the first came (none when its dials succeed). */
  warnings: Record<string, unknown>[];
  /** Whether any HTTP request of the member's reached the stand-in. */
  reached: boolean;
}

/**
 * Member a (of `kind`, server.pem, allowing only ALLOWED_CN) started as a `state` cluster
 * with a stand-in b presenting `bCert`; runs `fn` on them, then stops both. Both kinds run
 * on the same ports, so they give b the same member id.
 */
async function withStandInPeer<T>(
  kind: 'ours' | 'real',
  bCert: 'server' | 'client',
  [a, b]: [MemberSpec, MemberSpec],
  state: 'new' | 'existing',
  fn: (m: ReturnType<typeof spawnMember>, peer: StandInPeer) => Promise<T>,
): Promise<T> {
  const peer = await standInPeer(bCert, b.peerPort);
  const root = tempDir(`etcd-dial-${kind}-`);
  const m = spawnMember(kind, a, {
    initialCluster: initialCluster([a, b]),
    state,
    dataDir: join(root, 'a'),
    extraArgs: [...peerTlsArgs('server'), '--peer-cert-allowed-cn', ALLOWED_CN, ...(kind === 'real' ? ['--logger=zap'] : [])],
  });
  try {
    return await fn(m, peer);
  } finally {
    await stopMember(m);
    await peer.close();
    removeDir(root);
  }
}

/** Member a dialling a stand-in b presenting `bCert`: waits until a's dials show their outcome. */
function dialStandIn(kind: 'ours' | 'real', bCert: 'server' | 'client', specs: [MemberSpec, MemberSpec]): Promise<DialOutcome> {
  return withStandInPeer(kind, bCert, specs, 'new', async (m, peer) => {
    // etcd warns once per round tripper, from two goroutines in either order.
    const firstPair = (): Record<string, unknown>[] | undefined => {
      const seen = new Map<unknown, Record<string, unknown>>();
      for (const l of logLines(m)) if (l.msg === UNHEALTHY && !seen.has(l['round-tripper-name'])) seen.set(l['round-tripper-name'], comparable(l));
      return seen.size === 2 ? [...seen.values()].sort((x, y) => String(x['round-tripper-name']).localeCompare(String(y['round-tripper-name']))) : undefined;
    };
    await waitFor(`${kind}: a's dials to b succeed or are refused`, () => {
      if (m.proc.exitCode !== null) throw new Error(`${kind} etcd exited:\n${m.stderr()}`);
      return peer.requests() > 0 ? true : firstPair();
    });
    const reached = peer.requests() > 0;
    const warnings = reached ? [] : firstPair()!;
    return { warnings, reached };
  });
}

test('a member dialling a peer whose certificate CN it does not allow refuses it before any request, as real etcd', async () => {
  const specs = await specPair();
  const real = await dialStandIn('real', 'client', specs);
  const ours = await dialStandIn('ours', 'client', specs);
  assert.equal(real.reached, false);
  assert.deepEqual(
    real.warnings.map((w) => w.error),
    ['client certificate authentication failed', 'client certificate authentication failed'],
  );
  assert.deepEqual(ours, real);
});

test('a member dialling a peer whose certificate CN it allows reaches it, as real etcd', async () => {
  const specs = await specPair();
  const real = await dialStandIn('real', 'server', specs);
  const ours = await dialStandIn('ours', 'server', specs);
  assert.deepEqual(real, { warnings: [], reached: true });
  assert.deepEqual(ours, real);
});

test('joining an existing cluster fails when the only peer\'s certificate CN is not allowed, with etcd\'s warning', async () => {
  const [a, b] = await specPair();
  const outcome = (kind: 'ours' | 'real') =>
    withStandInPeer(kind, 'client', [a, b], 'existing', async (m, peer) => {
      const code = await new Promise<number | null>((r) => (m.proc.exitCode !== null ? r(m.proc.exitCode) : m.proc.once('exit', (c) => r(c))));
      const warned = logLines(m).filter((l) => l.msg === 'failed to get cluster response').map(comparable);
      return { code, warned, reached: peer.requests() > 0 };
    });
  const real = await outcome('real');
  const ours = await outcome('ours');
  assert.equal(real.code, 1);
  assert.equal(real.warned.length, 1);
  assert.equal(real.warned[0]!.error, `Get "https://127.0.0.1:${b.peerPort}/members": client certificate authentication failed`);
  assert.deepEqual(ours, real);
});

/**
 * etcd-ts members a (server.pem, allows only its own CN) and b (answers with `bCert`, dials
 * with server.pem, so a admits it); runs `fn` on them, then stops both.
 */
async function withPair(bCert: 'server' | 'client', fn: (a: Member, b: Member) => Promise<void>): Promise<void> {
  const specs = await specPair();
  const root = tempDir('etcd-dial-pair-');
  const ic = initialCluster(specs);
  const allow = ['--peer-cert-allowed-cn', ALLOWED_CN];
  const a = spawnMember('ours', specs[0], { initialCluster: ic, state: 'new', dataDir: join(root, 'a'), extraArgs: [...peerTlsArgs('server'), ...allow] });
  const b = spawnMember('ours', specs[1], {
    initialCluster: ic,
    state: 'new',
    dataDir: join(root, 'b'),
    extraArgs: [...peerTlsArgs(bCert), '--peer-client-cert-file', file('server.pem'), '--peer-client-key-file', file('server-key.pem')],
  });
  try {
    await fn(a, b);
  } finally {
    await Promise.all([stopMember(a), stopMember(b)]);
    removeDir(root);
  }
}

function memberIdOf(m: Member): string {
  const line = logLines(m).find((l) => typeof l['local-member-id'] === 'string');
  if (line === undefined) throw new Error('no local-member-id logged yet');
  return line['local-member-id'] as string;
}

/**
 * A connection refused for what it presented. A dial given up mid-handshake (the dialler's
 * timeout, on a loaded machine) is a "rejected connection" to etcd too, ending in EOF or a
 * reset: that is no refusal.
 */
function refusedWhatItPresented(l: Record<string, unknown>): boolean {
  return l.msg === 'rejected connection' && !/^(EOF|unexpected EOF|read tcp .*: read: connection reset by peer)$/.test(String(l.error));
}

const LEADER_ELECTED = / elected leader | became leader /;

test('two etcd-ts members: the one whose allowed CN the other\'s certificate fails cannot dial it, and no leader is elected', async () => {
  await withPair('client', async (a, b) => {
    // Members serve clients (and /metrics) only once they have a leader: what they log is
    // what can be watched here.
    const bId = await waitFor('b logs its member id', () => logLines(b).find((l) => typeof l['local-member-id'] === 'string')?.['local-member-id'] as string | undefined);
    const refusal = await waitFor('a warns that b is unreachable', () => logLines(a).find((l) => l.msg === UNHEALTHY && l['remote-peer-id'] === bId));
    assert.equal(refusal.error, 'client certificate authentication failed');
    // Only a's dials fail: a admits b's connections (b dials with the allowed CN) ...
    assert.equal(logLines(a).some(refusedWhatItPresented), false);
    // ... and b, which has no rule, neither refuses a nor fails to reach it.
    assert.equal(logLines(b).some((l) => refusedWhatItPresented(l) || l.msg === UNHEALTHY), false);
    // a's votes and answers never reach b, so no election is won and no client is served.
    for (const m of [a, b]) {
      assert.equal(logLines(m).some((l) => LEADER_ELECTED.test(l.msg)), false);
      assert.ok(logLines(m).some((l) => / became (pre-)?candidate /.test(l.msg)), 'each member campaigned');
    }
  });
});

test('two etcd-ts members whose certificates both carry the allowed CN form a cluster and replicate', async () => {
  await withPair('server', async (a, b) => {
    await Promise.all([waitReady(a), waitReady(b)]);
    const put = await fetch(`${a.clientUrl}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: Buffer.from('k').toString('base64'), value: Buffer.from('v').toString('base64') }) });
    assert.equal(put.status, 200);
    const value = await waitFor('b serves the write made on a', async () => {
      const r = (await (await fetch(`${b.clientUrl}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: Buffer.from('k').toString('base64') }) })).json()) as { kvs?: { value: string }[] };
      return r.kvs?.[0]?.value;
    });
    assert.equal(Buffer.from(value, 'base64').toString(), 'v');
    assert.equal(logLines(a).some((l) => l.error === 'client certificate authentication failed'), false);
  });
});
