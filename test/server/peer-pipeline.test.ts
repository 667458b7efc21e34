// The follower's forwarding connections (peer-pipeline.ts): requests come back matched to
// their answers whether the leader takes the lease-pipeline upgrade or not, when it closes
// connections between answers, when it answers chunked, and a leader that is gone fails
// the request instead of hanging it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Lessor, type LeaseBackend } from '../../src/lease/lessor.js';
import { LeaseServer, type LeaseHost } from '../../src/server/lease-server.js';
import { HttpLeaseForwarder, leasePeerHandler } from '../../src/server/lease-forwarding.js';
import { leaseUpgradeListener } from '../../src/server/lease-peer-upgrade.js';
import { PeerPipeline } from '../../src/server/peer-pipeline.js';
import { Errors } from '../../src/server/errors.js';
import { freePort, REPO_ROOT } from '../helpers/processes.js';

const memoryBackend: LeaseBackend = { put: () => undefined, delete: () => undefined, range: () => [] };

function leaderLeases(ids: bigint[]): LeaseServer {
  const clock = { nowMs: () => 0 };
  const lessor = new Lessor({ backend: memoryBackend, minTtlSec: 2, clock });
  for (const id of ids) lessor.grant(id, Number(id % 50n) + 10);
  lessor.promote(1000);
  const host: LeaseHost = {
    propose: async () => ({}),
    header: (rev) => ({ clusterId: 1n, memberId: 1n, revision: BigInt(rev), raftTerm: 2n }),
    currentRevision: () => 1,
    isLeader: () => true,
    leader: () => 1n,
    nextId: () => 7n,
  };
  return new LeaseServer(lessor, host);
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `${server instanceof https.Server ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const TLS_DIR = join(REPO_ROOT, 'test', 'fixtures', 'tls');
const tlsFile = (name: string): Buffer => readFileSync(join(TLS_DIR, name));

/** A leader's peer server; `upgrade` mounts the lease-pipeline listener as start-etcd does. */
async function leaderPeer(leases: LeaseServer, opts: { upgrade: boolean; maxRequestsPerSocket?: number; tls?: boolean }): Promise<{ url: string; server: http.Server; upgrades: () => number; connections: () => number }> {
  const handle = leasePeerHandler(leases);
  const listener: http.RequestListener = (req, res) => {
    if (!handle(req, res)) {
      res.writeHead(404);
      res.end();
    }
  };
  const server = opts.tls
    ? https.createServer({ cert: tlsFile('server.pem'), key: tlsFile('server-key.pem'), ca: tlsFile('ca.pem'), requestCert: true, rejectUnauthorized: true }, listener)
    : http.createServer(listener);
  if (opts.maxRequestsPerSocket !== undefined) server.maxRequestsPerSocket = opts.maxRequestsPerSocket;
  let upgrades = 0;
  let connections = 0;
  server.on(opts.tls ? 'secureConnection' : 'connection', () => connections++);
  if (opts.upgrade) {
    const listener = leaseUpgradeListener(leases);
    server.on('upgrade', (req: http.IncomingMessage, socket, head: Buffer) => {
      upgrades++;
      listener(req, socket, head);
    });
  }
  return { url: await listen(server), server, upgrades: () => upgrades, connections: () => connections };
}

const IDS = Array.from({ length: 40 }, (_, i) => BigInt(1000 + i));

/** Many keep-alives at once over the forwarder: each must come back with its own lease's TTL. */
async function keepAliveAll(forwarder: HttpLeaseForwarder, rounds: number): Promise<void> {
  const jobs: Promise<void>[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const id of IDS) {
      jobs.push(
        forwarder.keepAlive(1n, id).then((a) => {
          assert.equal(a.ID, id);
          assert.equal(a.TTL, (id % 50n) + 10n);
        }),
      );
    }
  }
  await Promise.all(jobs);
}

test('an etcd-ts leader takes the upgrade and answers pipelined keep-alives in order', async () => {
  const leases = leaderLeases(IDS);
  const peer = await leaderPeer(leases, { upgrade: true });
  const forwarder = new HttpLeaseForwarder(() => [peer.url]);
  try {
    await keepAliveAll(forwarder, 10);
    assert.ok(peer.upgrades() >= 1, 'no connection asked for the upgrade');
    assert.ok(peer.connections() <= 2, `${peer.connections()} connections for 400 keep-alives`);
    const ttl = await forwarder.timeToLive(1n, { ID: IDS[3]!, keys: false });
    assert.equal(ttl.grantedTTL, (IDS[3]! % 50n) + 10n);
    await assert.rejects(forwarder.keepAlive(1n, 5n), (e) => e === Errors.LeaseNotFound);
    await assert.rejects(forwarder.timeToLive(1n, { ID: 5n, keys: false }), (e) => e === Errors.LeaseNotFound);
    // The connection survives a refusal: later keep-alives still come back right.
    await keepAliveAll(forwarder, 2);
  } finally {
    forwarder.close();
    peer.server.close();
    peer.server.closeAllConnections();
  }
});

test('over peer TLS, with the client certificate, the upgraded connection carries the keep-alives', async () => {
  const leases = leaderLeases(IDS);
  const peer = await leaderPeer(leases, { upgrade: true, tls: true });
  const forwarder = new HttpLeaseForwarder(() => [peer.url], { cert: tlsFile('client.pem'), key: tlsFile('client-key.pem'), ca: tlsFile('ca.pem') });
  const stranger = new HttpLeaseForwarder(() => [peer.url], { ca: tlsFile('ca.pem') });
  try {
    await keepAliveAll(forwarder, 3);
    assert.ok(peer.upgrades() >= 1, 'no connection asked for the upgrade');
    await assert.rejects(forwarder.keepAlive(1n, 5n), (e) => e === Errors.LeaseNotFound);
    // No client certificate: the handshake fails and so does the keep-alive.
    await assert.rejects(stranger.keepAlive(1n, IDS[0]!), (e) => e === Errors.Timeout);
  } finally {
    forwarder.close();
    stranger.close();
    peer.server.close();
    peer.server.closeAllConnections();
  }
});

test('a leader that does not upgrade and closes connections between answers still gets every keep-alive', async () => {
  const leases = leaderLeases(IDS);
  // node closes a connection after this many requests, with `Connection: close` on the last answer.
  const peer = await leaderPeer(leases, { upgrade: false, maxRequestsPerSocket: 3 });
  const forwarder = new HttpLeaseForwarder(() => [peer.url]);
  try {
    await keepAliveAll(forwarder, 5);
    await assert.rejects(forwarder.keepAlive(1n, 5n), (e) => e === Errors.LeaseNotFound);
    assert.equal(peer.upgrades(), 0);
  } finally {
    forwarder.close();
    peer.server.close();
    peer.server.closeAllConnections();
  }
});

test('chunked answers and a 400 with its text reach the caller', async () => {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/chunked') {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        res.write('ab');
        res.write('cde');
        res.end();
        return;
      }
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('lessor: not primary\n');
    });
  });
  const url = await listen(server);
  const pipeline = new PeerPipeline(new URL(url), undefined, 5000);
  try {
    const answers = await Promise.all([pipeline.post('/chunked', 'application/protobuf', Buffer.from('x')), pipeline.post('/other', 'application/protobuf', Buffer.from('y')), pipeline.post('/chunked', 'application/protobuf', Buffer.alloc(0))]);
    assert.deepEqual(
      answers.map((a) => [a.status, a.body.toString()]),
      [
        [200, 'abcde'],
        [400, 'lessor: not primary\n'],
        [200, 'abcde'],
      ],
    );
  } finally {
    pipeline.close();
    server.close();
    server.closeAllConnections();
  }
});

test('a leader that is not listening fails the keep-alive instead of hanging it', async () => {
  const port = await freePort();
  const forwarder = new HttpLeaseForwarder(() => [`http://127.0.0.1:${port}`]);
  try {
    await assert.rejects(forwarder.keepAlive(1n, 1000n), (e) => e === Errors.Timeout);
  } finally {
    forwarder.close();
  }
});

test('an upgrade request the peer server does not serve is refused', async () => {
  const leases = leaderLeases(IDS);
  const peer = await leaderPeer(leases, { upgrade: true });
  try {
    const answer = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${peer.url}/members`, { headers: { Connection: 'Upgrade', Upgrade: 'websocket' } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('upgrade', () => reject(new Error('upgraded')));
      req.on('error', reject);
      req.end();
    });
    assert.equal(answer, 400);
  } finally {
    peer.server.close();
    peer.server.closeAllConnections();
  }
});
