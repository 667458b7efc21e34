// --cors on the client port, compared with real etcd: the same browser-style requests
// (preflight OPTIONS with Origin + Access-Control-Request-*, plain requests with an Origin
// header from an allowed or a foreign origin, or none) give the same status, the same
// Access-Control-* / Allow headers and, for preflights and refusals, the same body. The
// --listen-metrics-urls listener has no CORS handling at all, in both.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { freePort, removeDir, startMember, stopMember, tempDir, type Member } from '../helpers/processes.js';

interface Probe {
  method: string;
  path: string;
  origin?: string;
  preflight?: boolean;
  body?: string;
  /** Served by the --listen-metrics-urls listener instead of the client URL. */
  metricsPort?: boolean;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  /** Compared only where it does not hold ids or metrics (see bodyMatters). */
  body: string;
}

const COMPARED_HEADERS = ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'allow', 'content-type'];

const ALLOWED = 'http://a.example.com:80';
const ALLOWED_2 = 'https://B.example.com:8443';
const ORIGINS = [ALLOWED, ALLOWED_2, 'http://a.example.com', 'https://b.example.com:8443', 'http://evil.example.com:80', undefined];

const rangeBody = JSON.stringify({ key: Buffer.from('k').toString('base64') });

function probesFor(origin: string | undefined): Probe[] {
  return [
    { method: 'OPTIONS', path: '/v3/kv/range', origin, preflight: true },
    { method: 'OPTIONS', path: '/v3/watch', origin, preflight: true },
    { method: 'OPTIONS', path: '/health', origin, preflight: true },
    { method: 'OPTIONS', path: '/nope', origin },
    { method: 'POST', path: '/v3/kv/range', origin, body: rangeBody },
    { method: 'POST', path: '/v3/kv/put', origin, body: '{}' },
    { method: 'GET', path: '/v3/kv/range', origin },
    { method: 'GET', path: '/health', origin },
    { method: 'POST', path: '/health', origin },
    { method: 'GET', path: '/version', origin },
    { method: 'DELETE', path: '/version', origin },
    { method: 'GET', path: '/metrics', origin },
    { method: 'GET', path: '/nope', origin },
    { method: 'OPTIONS', path: '/health', origin, preflight: true, metricsPort: true },
    { method: 'GET', path: '/health', origin, metricsPort: true },
    { method: 'POST', path: '/metrics', origin, metricsPort: true },
    { method: 'GET', path: '/version', origin, metricsPort: true },
  ];
}

const PROBES = ORIGINS.flatMap(probesFor);

/** Bodies that are the same text in both servers (not ids, versions or metrics). */
function bodyMatters(p: Probe, status: number): boolean {
  return p.method === 'OPTIONS' || status === 404 || status === 405 || p.path === '/v3/kv/put';
}

function send(url: string, p: Probe): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (p.origin !== undefined) headers.Origin = p.origin;
  if (p.preflight) {
    headers['Access-Control-Request-Method'] = 'POST';
    headers['Access-Control-Request-Headers'] = 'content-type, authorization';
  }
  if (p.body !== undefined) headers['Content-Type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${p.path}`, { method: p.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const picked: Record<string, string> = {};
        for (const h of COMPARED_HEADERS) {
          const v = res.headers[h];
          if (v !== undefined) picked[h] = String(v);
        }
        const status = res.statusCode ?? 0;
        resolve({ status, headers: picked, body: bodyMatters(p, status) ? Buffer.concat(chunks).toString() : '' });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(p.body);
  });
}

async function session(kind: 'ours' | 'real', corsArgs: string[]): Promise<Answer[]> {
  const root = tempDir(`cors-${kind}-`);
  const metricsUrl = `http://127.0.0.1:${await freePort()}`;
  let m: Member | undefined;
  try {
    m = await startMember(kind, { dataDir: `${root}/data`, extraArgs: [...corsArgs, '--listen-metrics-urls', metricsUrl] });
    const out: Answer[] = [];
    for (const p of PROBES) out.push(await send(p.metricsPort ? metricsUrl : m.clientUrl, p));
    return out;
  } finally {
    if (m) await stopMember(m);
    removeDir(root);
  }
}

async function compare(corsArgs: string[]): Promise<Answer[]> {
  const [real, ours] = await Promise.all([session('real', corsArgs), session('ours', corsArgs)]);
  for (let i = 0; i < PROBES.length; i++) {
    const p = PROBES[i]!;
    assert.deepEqual(ours[i], real[i], `${corsArgs.join(' ')}: ${p.method} ${p.metricsPort ? 'metrics-port ' : ''}${p.path} Origin=${p.origin ?? '(none)'}`);
  }
  return ours;
}

function answerFor(answers: Answer[], match: (p: Probe) => boolean): Answer {
  const i = PROBES.findIndex(match);
  assert.ok(i >= 0);
  return answers[i]!;
}

test('without --cors every origin is allowed ("*"), as in etcd', async () => {
  const ours = await compare([]);
  const post = answerFor(ours, (p) => p.method === 'POST' && p.path === '/v3/kv/range' && p.origin === 'http://evil.example.com:80');
  assert.equal(post.headers['access-control-allow-origin'], '*');
});

test('--cors with a whitelist answers only the listed origins, exactly as written', async () => {
  const ours = await compare(['--cors', `${ALLOWED},${ALLOWED_2}`]);
  const preflight = answerFor(ours, (p) => p.preflight === true && !p.metricsPort && p.path === '/v3/kv/range' && p.origin === ALLOWED);
  assert.equal(preflight.status, 200);
  assert.equal(preflight.headers['access-control-allow-origin'], ALLOWED);
  const foreign = answerFor(ours, (p) => p.method === 'POST' && p.path === '/v3/kv/range' && p.origin === 'http://evil.example.com:80');
  assert.equal(foreign.status, 200);
  assert.equal(foreign.headers['access-control-allow-origin'], undefined);
});

test('--cors "*" given explicitly is the default', async () => {
  await compare(['--cors', '*']);
});
