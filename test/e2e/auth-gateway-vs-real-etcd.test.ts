// The gateway's /v3/auth/* routes and the `Authorization` header against real etcd:
// the same calls give the same status, content type and body (tokens, random per
// server, are replaced by a marker); and auth kept in the backend survives a restart of
// etcd-ts while simple tokens do not.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { Client } from '../../src/client/client.js';
import { etcdctl, freePort, removeDir, startMember, stopMember, tempDir } from '../helpers/processes.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/**
 * A POST on a connection of its own. fetch() reuses keep-alive sockets, and after the
 * event loop sat blocked in a synchronous etcdctl run it may pick one the server (or a
 * restarted one) has already closed.
 */
function post(url: string, body: unknown, token: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { Authorization: token } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

interface Call {
  path: string;
  body: unknown;
  /** Send the token from the last successful authenticate (or this literal one). */
  auth?: 'last' | string;
}

const CALLS: Call[] = [
  { path: '/v3/auth/user/add', body: { name: 'root', password: 'pw' } },
  { path: '/v3/auth/user/add', body: { name: '', password: 'pw' } },
  { path: '/v3/auth/user/add', body: { name: 'alice', password: 'apw' } },
  { path: '/v3/auth/role/add', body: { name: 'r1' } },
  { path: '/v3/auth/role/grant', body: { name: 'r1', perm: { permType: 'READWRITE', key: b64('/a'), range_end: b64('/b') } } },
  { path: '/v3/auth/role/grant', body: { name: 'r1', perm: { permType: 'READ', key: b64('/p') } } },
  { path: '/v3/auth/role/get', body: { role: 'r1' } },
  { path: '/v3/auth/role/list', body: {} },
  { path: '/v3/auth/role/revoke', body: { role: 'r1', key: b64('/p') } },
  { path: '/v3/auth/role/revoke', body: { role: 'r1', key: b64('/p') } },
  { path: '/v3/auth/user/grant', body: { user: 'alice', role: 'r1' } },
  { path: '/v3/auth/user/grant', body: { user: 'alice', role: 'nope' } },
  { path: '/v3/auth/user/get', body: { name: 'alice' } },
  { path: '/v3/auth/user/list', body: {} },
  { path: '/v3/auth/enable', body: {} },
  { path: '/v3/auth/user/grant', body: { user: 'root', role: 'root' } },
  { path: '/v3/auth/enable', body: {} },
  { path: '/v3/kv/put', body: { key: b64('/a'), value: b64('1') } },
  { path: '/v3/auth/authenticate', body: { name: 'alice', password: 'wrong' } },
  { path: '/v3/auth/authenticate', body: { name: 'alice', password: 'apw' } },
  { path: '/v3/kv/put', body: { key: b64('/a'), value: b64('1') }, auth: 'last' },
  { path: '/v3/kv/range', body: { key: b64('/a') }, auth: 'last' },
  { path: '/v3/kv/put', body: { key: b64('/c'), value: b64('1') }, auth: 'last' },
  { path: '/v3/kv/range', body: { key: b64('/a') }, auth: 'bogus.1' },
  { path: '/v3/auth/user/list', body: {}, auth: 'last' },
  { path: '/v3/auth/user/get', body: { name: 'alice' }, auth: 'last' },
  { path: '/v3/auth/authenticate', body: { name: 'root', password: 'pw' } },
  { path: '/v3/auth/user/delete', body: { name: 'root' }, auth: 'last' },
  { path: '/v3/auth/user/changepw', body: { name: 'alice', password: 'apw2' }, auth: 'last' },
  { path: '/v3/auth/role/delete', body: { role: 'r1' }, auth: 'last' },
  { path: '/v3/auth/disable', body: {}, auth: 'last' },
  { path: '/v3/auth/disable', body: {} },
  { path: '/v3/kv/range', body: { key: b64('/a') } },
  // etcd refuses an unknown token even with auth off.
  { path: '/v3/kv/range', body: { key: b64('/a') }, auth: 'bogus.1' },
];

interface Answer {
  status: number;
  type: string | null;
  body: string;
}

async function session(kind: 'ours' | 'real', clientPort: number, peerPort: number): Promise<Answer[]> {
  const root = tempDir(`auth-gateway-${kind}-`);
  const m = await startMember(kind, { clientPort, peerPort, dataDir: `${root}/data` });
  try {
    const out: Answer[] = [];
    let last = '';
    for (const c of CALLS) {
      const headers: Record<string, string> = {};
      if (c.auth !== undefined) headers['Authorization'] = c.auth === 'last' ? last : c.auth;
      const res = await fetch(`${m.clientUrl}${c.path}`, { method: 'POST', body: JSON.stringify(c.body), headers });
      let body = await res.text();
      const token = /"token":"([^"]*)"/.exec(body);
      if (token) {
        last = token[1]!;
        body = body.replace(token[1]!, 'TOKEN');
      }
      out.push({ status: res.status, type: res.headers.get('content-type'), body });
    }
    return out;
  } finally {
    await stopMember(m);
    removeDir(root);
  }
}

test('/v3/auth/* and the Authorization header answer as real etcd does', async () => {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const real = await session('real', clientPort, peerPort);
  const ours = await session('ours', clientPort, peerPort);
  for (let i = 0; i < CALLS.length; i++) {
    assert.deepEqual(ours[i], real[i], `${CALLS[i]!.path} ${JSON.stringify(CALLS[i]!.body)} ${CALLS[i]!.auth ?? ''}`);
  }
});

test('users, roles, grants and the enabled flag survive a restart; simple tokens do not', async () => {
  const root = tempDir('auth-restart-');
  const clientPort = await freePort();
  const peerPort = await freePort();
  const opts = { clientPort, peerPort, dataDir: `${root}/data` };
  let m = await startMember('ours', opts);
  try {
    const ep = `--endpoints=${m.endpoint}`;
    for (const args of [
      ['user', 'add', 'root:pw'],
      ['user', 'add', 'alice:apw'],
      ['role', 'add', 'r1'],
      ['role', 'grant-permission', 'r1', 'readwrite', '--prefix', '/a'],
      ['user', 'grant-role', 'alice', 'r1'],
      ['auth', 'enable'],
      ['--user', 'alice:apw', 'put', '/a1', 'v'],
    ]) {
      assert.equal(etcdctl('ours', [ep, ...args]).status, 0, args.join(' '));
    }
    const auth = await fetch(`${m.clientUrl}/v3/auth/authenticate`, { method: 'POST', body: JSON.stringify({ name: 'alice', password: 'apw' }) });
    const token = ((await auth.json()) as { token: string }).token;
    assert.match(token, /^[a-zA-Z]{16}\.\d+$/);

    await stopMember(m);
    m = await startMember('ours', opts);

    assert.deepEqual(etcdctl('ours', [ep, '--user', 'alice:apw', 'get', '/a1', '--print-value-only']).stdout, 'v\n');
    const denied = etcdctl('ours', [ep, '--user', 'alice:apw', 'put', '/b', 'v']);
    assert.match(denied.stderr, /Error: etcdserver: permission denied/);
    assert.match(etcdctl('ours', [ep, 'get', '/a1']).stderr, /Error: etcdserver: user name is empty/);
    assert.equal(etcdctl('ours', [ep, '--user', 'root:pw', 'role', 'get', 'r1']).stdout, 'Role r1\nKV Read:\n\t[/a, /b) (prefix /a)\nKV Write:\n\t[/a, /b) (prefix /a)\n');
    const stale = await post(`${m.clientUrl}/v3/kv/range`, { key: b64('/a1') }, token);
    assert.equal(stale.status, 401);
    assert.equal(stale.json['error'], 'etcdserver: invalid auth token');

    // A client holding credentials carries on without a token once auth is disabled, as clientv3 does.
    const client = new Client({ endpoints: [m.endpoint], username: 'alice', password: 'apw' });
    try {
      assert.equal((await client.range({ key: Buffer.from('/a1') })).kvs.length, 1);
      assert.equal(etcdctl('ours', [ep, '--user', 'root:pw', 'auth', 'disable']).status, 0);
      assert.equal((await client.range({ key: Buffer.from('/b') })).kvs.length, 0);
    } finally {
      client.close();
    }
  } finally {
    await stopMember(m);
    removeDir(root);
  }
});

test('--auth-token jwt: a signed token works across a restart until the auth store changes', async () => {
  const root = tempDir('auth-jwt-');
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(`${root}/priv.pem`, pair.privateKey.export({ type: 'pkcs1', format: 'pem' }));
  writeFileSync(`${root}/pub.pem`, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  const opts = {
    clientPort: await freePort(),
    peerPort: await freePort(),
    dataDir: `${root}/data`,
    extraArgs: ['--auth-token', `jwt,pub-key=${root}/pub.pem,priv-key=${root}/priv.pem,sign-method=RS256,ttl=10m`],
  };
  let m = await startMember('ours', opts);
  try {
    const ep = `--endpoints=${m.endpoint}`;
    for (const args of [['user', 'add', 'root:pw'], ['auth', 'enable'], ['--user', 'root:pw', 'put', 'k', 'v']]) {
      assert.equal(etcdctl('ours', [ep, ...args]).status, 0, args.join(' '));
    }
    const auth = await fetch(`${m.clientUrl}/v3/auth/authenticate`, { method: 'POST', body: JSON.stringify({ name: 'root', password: 'pw' }) });
    const token = ((await auth.json()) as { token: string }).token;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims['username'], 'root');
    const range = () => post(`${m.clientUrl}/v3/kv/range`, { key: b64('k') }, token);

    await stopMember(m);
    m = await startMember('ours', opts);
    const after = await range();
    assert.equal(after.status, 200);
    assert.equal(after.json['count'], '1');

    assert.equal(etcdctl('ours', [ep, '--user', 'root:pw', 'user', 'add', 'bob:b']).status, 0);
    const stale = await range();
    assert.equal(stale.status, 400);
    assert.equal(stale.json['error'], 'etcdserver: revision of auth store is old');
    // etcdctl re-authenticates and carries on.
    assert.equal(etcdctl('ours', [ep, '--user', 'root:pw', 'get', 'k', '--print-value-only']).stdout, 'v\n');
    // So does a long-lived client holding a token from before the change.
    const client = new Client({ endpoints: [m.endpoint], username: 'root', password: 'pw' });
    try {
      assert.equal((await client.range({ key: Buffer.from('k') })).kvs.length, 1);
      assert.equal(etcdctl('ours', [ep, '--user', 'root:pw', 'user', 'add', 'carol:c']).status, 0);
      assert.equal((await client.range({ key: Buffer.from('k') })).kvs.length, 1);
      const status = await client.authStatus();
      assert.equal(status.enabled, true);
    } finally {
      client.close();
    }
  } finally {
    await stopMember(m);
    removeDir(root);
  }
});
