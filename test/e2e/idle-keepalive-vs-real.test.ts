// An HTTP/1.1 keep-alive connection left idle stays usable on the client port and the
// metrics port, as with etcd's Go servers there (no idle timeout). Node's own default
// would close it after 5 s, and a client reusing its pooled connection (a Prometheus
// scraper, a script's HTTP agent) would race that close. On the peer port etcd puts a 5 s
// deadline on every read, so an idle connection there is dropped within 5 to 10 s.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort, removeDir, startMember, stopMember, tempDir, type Member } from '../helpers/processes.js';

/** Longer than Node's default keep-alive timeout (5 s): the idle time is what is tested. */
const IDLE_MS = 6500;
/** Longer than the longest an idle peer connection lived on etcd 3.4.23 (10 s, measured). */
const PEER_IDLE_MS = 11_000;

const members: Member[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(members.map((m) => stopMember(m)));
  for (const d of dirs) removeDir(d);
});

/** Sends `path` twice on one connection, `idleMs` apart; the status lines received, and whether the server closed it. */
async function twoRequestsIdleBetween(port: number, path: string, idleMs = IDLE_MS): Promise<{ statuses: string[]; closedByServer: boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  let closedByServer = false;
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  socket.on('end', () => (closedByServer = true));
  const request = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
  const statusLines = () => received.match(/HTTP\/1\.1 \d{3}/g) ?? [];
  // Resolves once `n` answers arrived or the server ended the connection.
  const answered = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (statusLines().length < n && !closedByServer) return;
        socket.off('data', check).off('end', check);
        resolve();
      };
      socket.on('data', check).on('end', check);
      check();
    });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(request);
  await answered(1);
  await delay(idleMs);
  if (!closedByServer) {
    socket.write(request);
    await answered(2);
  }
  socket.destroy();
  return { statuses: statusLines(), closedByServer };
}

test('a keep-alive connection idle for longer than 5 s still serves requests on the client and metrics ports, and is dropped on the peer port, as in etcd', async () => {
  const started = await Promise.all((['real', 'ours'] as const).map(async (kind) => {
    const root = tempDir(`idle-keepalive-${kind}-`);
    dirs.push(root);
    const [peerPort, metricsPort] = [await freePort(), await freePort()];
    const m = await startMember(kind, { dataDir: `${root}/data`, peerPort, extraArgs: ['--listen-metrics-urls', `http://127.0.0.1:${metricsPort}`] });
    members.push(m);
    return { kind, client: Number(m.endpoint.split(':')[1]), peerPort, metricsPort };
  }));
  const results = await Promise.all(started.map(async (s) => {
    const [client, metrics, peer] = await Promise.all([
      twoRequestsIdleBetween(s.client, '/health'),
      twoRequestsIdleBetween(s.metricsPort, '/metrics'),
      twoRequestsIdleBetween(s.peerPort, '/version', PEER_IDLE_MS),
    ]);
    return { kind: s.kind, client, metrics, peer };
  }));
  const twoAnswers = { statuses: ['HTTP/1.1 200', 'HTTP/1.1 200'], closedByServer: false };
  const droppedAfterOne = { statuses: ['HTTP/1.1 200'], closedByServer: true };
  for (const r of results) assert.deepEqual({ kind: r.kind, client: r.client, metrics: r.metrics, peer: r.peer }, { kind: r.kind, client: twoAnswers, metrics: twoAnswers, peer: droppedAfterOne });
});
