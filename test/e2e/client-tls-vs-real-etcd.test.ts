// https:// client URLs as in the operators' posts (seed 004): certificates, client
// certificate auth, gRPC and HTTP/1.1 and HTTP/2 on one TLS port, next to a plain
// http:// loopback URL. Each check runs against real etcd 3.4.23 and etcd-ts alike.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { etcdctl, freePort, OUR_ETCD, REAL_ETCD, removeDir, stopMember, tempDir } from '../helpers/processes.js';
import { startClientTlsMember, TLS_DIR, tlsFixture, type TlsMember } from '../helpers/tls-member.js';

const file = tlsFixture;
const CLIENT_CERT = ['--cacert', file('ca.pem'), '--cert', file('client.pem'), '--key', file('client-key.pem')];


function ctl(t: TlsMember, args: string[]) {
  const r = etcdctl('real', ['--endpoints', t.httpsUrl, '--dial-timeout', '1s', ...args]);
  // etcdctl's own warning lines carry a timestamp and a client id; the outcome is the rest.
  return { stdout: r.stdout, status: r.status, lastErr: r.stderr.trim().split('\n').at(-1) ?? '' };
}

function https1(url: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${url}${path}`,
      { method: body === undefined ? 'GET' : 'POST', ca: readFileSync(file('ca.pem')), cert: readFileSync(file('client.pem')), key: readFileSync(file('client-key.pem')) },
      (res) => {
        let data = '';
        res.on('data', (c: Buffer) => (data += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function https2(url: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, { ca: readFileSync(file('ca.pem')), cert: readFileSync(file('client.pem')), key: readFileSync(file('client-key.pem')) });
    session.on('error', reject);
    const req = session.request({ ':method': body === undefined ? 'GET' : 'POST', ':path': path });
    let status = 0;
    let data = '';
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      session.close();
      resolve({ status, body: data });
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('https client URLs with client certificate auth behave as in etcd 3.4.23', async (t) => {
  const real = await startClientTlsMember('real');
  const ours = await startClientTlsMember('ours');
  t.after(async () => {
    for (const x of [real, ours]) {
      await stopMember(x.m);
      removeDir(x.m.dataDir);
    }
  });

  await t.test('etcdctl with a client certificate: put, get -w json, endpoint health', () => {
    for (const x of [real, ours]) assert.equal(ctl(x, [...CLIENT_CERT, 'put', 'foo', 'bar']).stdout, 'OK\n');
    const get = (x: TlsMember) => ctl(x, [...CLIENT_CERT, 'get', 'foo', '--print-value-only']);
    assert.deepEqual(get(ours), get(real));
    const health = (x: TlsMember) => etcdctl('real', ['--endpoints', x.httpsUrl, ...CLIENT_CERT, 'endpoint', 'health']).status;
    assert.equal(health(ours), 0);
    assert.equal(health(real), 0);
  });

  await t.test('our etcdctl speaks TLS to both servers', () => {
    for (const x of [real, ours]) {
      const r = etcdctl('ours', ['--endpoints', x.httpsUrl, ...CLIENT_CERT, 'get', 'foo', '--print-value-only']);
      assert.equal(r.stdout, 'bar\n', `${x.m.kind}: ${r.stderr}`);
    }
  });

  await t.test('seed 004 with an https:// endpoint: alarm list, defrag, endpoint status and hashkv', () => {
    // These dial the endpoint directly, so Go's client sends "https://host:port" as :authority.
    const shape = (x: TlsMember, args: string[]) => {
      const r = ctl(x, [...CLIENT_CERT, ...args]);
      return { status: r.status, stdout: r.stdout.replaceAll(x.httpsUrl, 'URL').replace(/\d+/g, 'N').replace(/3\.N\.N/g, 'VERSION'), lastErr: r.status === 0 ? '' : r.lastErr };
    };
    for (const args of [['alarm', 'list'], ['defrag'], ['endpoint', 'status', '-w', 'json'], ['endpoint', 'hashkv']]) {
      const theirs = shape(real, args);
      assert.equal(theirs.status, 0, `real etcd: ${args.join(' ')}: ${theirs.lastErr}`);
      assert.deepEqual(shape(ours, args), theirs, args.join(' '));
    }
  });

  await t.test('without a client certificate the call is refused', () => {
    const refused = (x: TlsMember) => ctl(x, ['--cacert', file('ca.pem'), 'get', 'foo']);
    const theirs = refused(real);
    const mine = refused(ours);
    assert.equal(theirs.status, 1);
    assert.deepEqual({ status: mine.status, lastErr: mine.lastErr }, { status: theirs.status, lastErr: theirs.lastErr });
  });

  await t.test('/health and the JSON gateway answer over HTTP/1.1 and HTTP/2 on the TLS port', async () => {
    for (const x of [real, ours]) {
      for (const call of [https1, https2]) {
        const h = await call(x.httpsUrl, '/health');
        assert.equal(h.status, 200, `${x.m.kind} ${call.name}`);
        assert.equal(JSON.parse(h.body).health, 'true');
      }
    }
    const body = JSON.stringify({ key: Buffer.from('foo').toString('base64') });
    const kvs = async (x: TlsMember) => JSON.parse((await https2(x.httpsUrl, '/v3/kv/range', body)).body).kvs;
    assert.deepEqual(await kvs(ours), await kvs(real));
  });

  await t.test('the plain http:// loopback URL keeps working beside it', () => {
    for (const x of [real, ours]) assert.equal(etcdctl('real', ['--endpoints', x.m.endpoint, 'get', 'foo', '--print-value-only']).stdout, 'bar\n');
  });
});

/** One member started with an https client URL on `port` and `extra` flags; it is expected to fail, so its data dir goes at once. */
function startHttpsMemberOnce(bin: string, node: boolean, port: number, peer: number, extra: string[] = []) {
  const dir = tempDir('etcd-tls-start-');
  const args = [
    '--data-dir', join(dir, 'data'),
    '--listen-client-urls', `https://127.0.0.1:${port}`,
    '--advertise-client-urls', `https://127.0.0.1:${port}`,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `default=http://127.0.0.1:${peer}`,
    ...extra,
  ];
  const r = spawnSync(node ? process.execPath : bin, node ? [bin, ...args] : args, { encoding: 'utf8', timeout: 30_000 });
  removeDir(dir);
  return r;
}

test('an https client URL without --cert-file/--key-file refuses to start, as etcd does', async () => {
  const port = await freePort();
  const peer = await freePort();
  const theirs = startHttpsMemberOnce(REAL_ETCD, false, port, peer);
  const mine = startHttpsMemberOnce(OUR_ETCD, true, port, peer);
  const message = `TLS key/cert (--cert-file, --key-file) must be provided for client url https://127.0.0.1:${port} with HTTPS scheme`;
  assert.ok(theirs.stderr.includes(message), theirs.stderr);
  assert.ok(mine.stderr.includes(message), mine.stderr);
  assert.equal(mine.status, theirs.status);
});

test('a client certificate, key or CA file that cannot be read ends etcd as a failed listener: the same fatal line and exit code', async () => {
  const port = await freePort();
  const peer = await freePort();
  const failure = (kind: 'ours' | 'real', tlsFlags: string[]) => {
    // etcd 3.4 writes zap's JSON lines only when asked; etcd-ts always does (3.5's default).
    const flags = [...tlsFlags, ...(kind === 'real' ? ['--logger=zap'] : [])];
    const r = kind === 'ours' ? startHttpsMemberOnce(OUR_ETCD, true, port, peer, flags) : startHttpsMemberOnce(REAL_ETCD, false, port, peer, flags);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: string; caller?: string; msg: string; error?: string });
    // What a failure says: the lines that carry an error (real etcd's fatal line adds a Go stack trace, left out).
    return { status: r.status, failed: lines.filter((l) => l.error !== undefined).map((l) => ({ level: l.level, caller: l.caller, msg: l.msg, error: l.error })) };
  };
  const cases: [string, string[]][] = [
    ['no such certificate or key', ['--cert-file', '/nonexistent.pem', '--key-file', '/nonexistent.key']],
    ['no such key', ['--cert-file', file('server.pem'), '--key-file', '/nonexistent.key']],
    ['no such CA', ['--cert-file', file('server.pem'), '--key-file', file('server-key.pem'), '--trusted-ca-file', '/nonexistent-ca.pem']],
    ['a directory for the certificate', ['--cert-file', TLS_DIR, '--key-file', file('server-key.pem')]],
  ];
  for (const [name, flags] of cases) {
    const real = failure('real', flags);
    const ours = failure('ours', flags);
    assert.equal(real.status, 1, `${name}: real etcd's exit code`);
    assert.deepEqual(ours, real, name);
  }
  assert.deepEqual(failure('ours', cases[0]![1]).failed, [
    { level: 'fatal', caller: 'etcdmain/etcd.go:290', msg: 'listener failed', error: 'open /nonexistent.pem: no such file or directory' },
  ]);
});
