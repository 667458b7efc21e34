// --host-whitelist and --enable-grpc-gateway, compared with real etcd (etcd-ts once parsed
// both and ignored them). With a whitelist, a plaintext HTTP request naming another host
// gets 421 and etcd's DNS-rebinding explanation, before CORS or routing; gRPC on the same
// port and the --listen-metrics-urls port are not checked, and each refusal is logged.
// With the gateway off, every /v3/ path is Go's plain 404, whatever the method.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { dirname } from 'node:path';
import { etcdctl, freePort, removeDir, startMember, stopMember, type Member } from '../helpers/processes.js';

interface Probe {
  method: string;
  path: string;
  /** The Host header; absent means the one the client derives from the URL. */
  host?: string;
  body?: string;
  metricsPort?: boolean;
}

interface Answer {
  status: number;
  contentType: string | undefined;
  cors: string | undefined;
  /** Compared only where it holds no ids or figures. */
  body: string;
}

const ALLOWED = 'etcd.example.com';
const range = JSON.stringify({ key: Buffer.from('k').toString('base64') });

const PROBES: Probe[] = [
  { method: 'GET', path: '/health' },
  { method: 'GET', path: '/version', host: 'evil.example.com:2379' },
  { method: 'GET', path: '/metrics', host: 'evil.example.com' },
  { method: 'OPTIONS', path: '/v3/kv/range', host: '[::1]:2379' },
  { method: 'POST', path: '/v3/kv/range', host: 'etcd.example.com.', body: range },
  { method: 'GET', path: '/nope', host: `${ALLOWED}:2379:1` },
  { method: 'GET', path: '/health', host: `${ALLOWED}:2379` },
  { method: 'GET', path: '/health', host: ALLOWED },
  { method: 'GET', path: '/version', host: ALLOWED },
  { method: 'OPTIONS', path: '/v3/kv/range', host: ALLOWED },
  { method: 'POST', path: '/v3/kv/range', host: ALLOWED, body: range },
  { method: 'GET', path: '/v3/kv/range', host: ALLOWED },
  { method: 'POST', path: '/v3/watch', host: ALLOWED, body: JSON.stringify({ create_request: { key: Buffer.from('k').toString('base64') } }) },
  { method: 'POST', path: '/v3/maintenance/snapshot', host: ALLOWED, body: '{}' },
  { method: 'POST', path: '/v3/nope', host: ALLOWED, body: '{}' },
  { method: 'GET', path: '/health', host: 'evil.example.com', metricsPort: true },
];

function send(base: string, p: Probe): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (p.host !== undefined) headers.Host = p.host;
  if (p.body !== undefined) headers['Content-Type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${p.path}`, { method: p.method, headers, agent: false }, (res) => {
      const answer = {
        status: res.statusCode ?? 0,
        contentType: res.headers['content-type'],
        cors: res.headers['access-control-allow-origin'] as string | undefined,
      };
      // A served /v3/watch never ends: only refusals and preflights have bodies worth reading.
      if (!(res.statusCode === 421 || res.statusCode === 404 || p.method === 'OPTIONS')) {
        res.destroy();
        resolve({ ...answer, body: '' });
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ ...answer, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    // A guard so that a server which never answers fails the test instead of hanging it.
    req.setTimeout(20_000, () => req.destroy(new Error(`no answer to ${p.method} ${p.path}`)));
    req.end(p.body);
  });
}

interface Seen {
  answers: Answer[];
  /** gRPC is not subject to the whitelist: etcdctl put's exit status. */
  grpcPut: number | null;
  /** Hosts named by "rejecting HTTP request" warnings, in order. */
  refusedLogged: string[];
}

async function observe(kind: 'ours' | 'real'): Promise<Seen> {
  const metricsPort = await freePort();
  const m: Member = await startMember(kind, {
    extraArgs: [
      `--host-whitelist=${ALLOWED},127.0.0.1`,
      '--enable-grpc-gateway=false',
      `--listen-metrics-urls=http://127.0.0.1:${metricsPort}`,
      // etcd 3.4 logs through capnslog unless told otherwise; 3.5 (and etcd-ts) only has zap.
      ...(kind === 'real' ? ['--logger=zap'] : []),
    ],
  });
  try {
    const answers: Answer[] = [];
    for (const p of PROBES) answers.push(await send(p.metricsPort ? `http://127.0.0.1:${metricsPort}` : m.clientUrl, p));
    const put = etcdctl('real', [`--endpoints=${m.endpoint}`, 'put', 'k', 'v']);
    // Stopped first, so every log line has been written.
    await stopMember(m);
    const refusedLogged = m
      .stderr()
      .split('\n')
      .filter((l) => l.includes('rejecting HTTP request to prevent DNS rebinding attacks'))
      .map((l) => (JSON.parse(l) as { host: string }).host);
    return { answers, grpcPut: put.status, refusedLogged };
  } finally {
    await stopMember(m);
    removeDir(dirname(m.dataDir));
  }
}

test('--host-whitelist and --enable-grpc-gateway=false answer HTTP requests as real etcd does', async () => {
  const real = await observe('real');
  const ours = await observe('ours');
  // The probes mean something only if real etcd both refused and served some of them.
  assert.ok(real.answers.some((a) => a.status === 421));
  assert.ok(real.answers.some((a) => a.status === 200));
  assert.equal(real.grpcPut, 0);
  for (let i = 0; i < PROBES.length; i++) {
    assert.deepEqual(ours.answers[i], real.answers[i], `${PROBES[i]!.method} ${PROBES[i]!.path} Host=${PROBES[i]!.host ?? '(default)'}`);
  }
  assert.equal(ours.grpcPut, real.grpcPut);
  assert.deepEqual(ours.refusedLogged, real.refusedLogged);
});
