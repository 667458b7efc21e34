#!/usr/bin/env node
// Runs a session file of shell commands four ways — Debian's etcdctl and ours, each against
// Debian's etcd 3.4.23 and against etcd-ts — and prints every command whose stdout, stderr or
// exit code differs from the reference (real etcdctl against real etcd).
//
//   node scripts/compare-sessions.mjs SESSION_FILE [--only real|ours] [--server-args '--max-txn-ops 3']
//   e.g. node scripts/compare-sessions.mjs scripts/sessions/kv.session   (sessions used in the
//   acceptance audit; the limits one needs --server-args '--max-txn-ops 3 --max-request-bytes 200')
//
// One command per line; lines starting with '#' are comments. Each line runs under bash with:
//   $E    etcdctl --endpoints=127.0.0.1:<client port>   (the etcdctl under test)
//   $C    the bare etcdctl binary (for ETCDCTL_* env and flag checks)
//   $EP   127.0.0.1:<client port>      $DEAD  127.0.0.1:<a port nothing listens on>
//   $HTTP http://127.0.0.1:<client port>  (for curl against the JSON gateway)
// Every run starts a fresh member on the SAME ports with the same flags, so member and cluster
// ids, revisions and lease ids granted with a fixed ID agree; only raft_term, timings and
// etcdctl's own log timestamps are masked.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './lib/local-members.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CTLS = { real: ['/usr/bin/etcdctl'], ours: [process.execPath, join(ROOT, 'bin/etcdctl')] };
const SERVERS = { real: ['/usr/bin/etcd'], ours: [process.execPath, join(ROOT, 'bin/etcd')] };

const args = process.argv.slice(2);
const sessionFile = args.find((a, i) => !a.startsWith('--') && !['--only', '--server-args'].includes(args[i - 1]));
if (!sessionFile) {
  console.error('usage: compare-sessions.mjs SESSION_FILE [--only real|ours]');
  process.exit(2);
}
const onlyIdx = args.indexOf('--only');
const ctlKinds = onlyIdx >= 0 ? [args[onlyIdx + 1]] : ['real', 'ours'];
const serverArgsIdx = args.indexOf('--server-args');
const serverArgs = serverArgsIdx >= 0 ? args[serverArgsIdx + 1].split(' ').filter(Boolean) : [];
const lines = readFileSync(sessionFile, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));

async function startServer(kind, ports) {
  const dir = mkdtempSync(join(tmpdir(), `cmp-${kind}-`));
  const client = `http://127.0.0.1:${ports.client}`;
  const peer = `http://127.0.0.1:${ports.peer}`;
  const [cmd, ...pre] = SERVERS[kind];
  const proc = spawn(cmd, [...pre, '--data-dir', join(dir, 'data'), '--listen-client-urls', client,
    '--advertise-client-urls', client, '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `default=${peer}`, ...serverArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (c) => (err += c));
  const deadline = Date.now() + 30000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${kind} etcd exited:\n${err}`);
    try {
      const r = await fetch(`${client}/health`);
      if ((await r.json()).health === 'true') break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`${kind} etcd not ready:\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    dir,
    stop: () => new Promise((r) => { proc.once('exit', r); proc.kill('SIGTERM'); }),
  };
}

function normalize(s, ports) {
  for (const [p, label] of [[ports.client, 'CPORT'], [ports.peer, 'PPORT'], [ports.dead, 'DPORT']]) {
    s = s.replace(new RegExp(`(?<!\\d)${p}(?!\\d)`, 'g'), label);
  }
  return s
    .replace(/"raft_term":"?\d+"?/g, '"raft_term":<t>')
    .replace(/raft_term:\d+/g, 'raft_term:<t>')
    .replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} /gm, '<time> ')
    .replace(/"ts":"[^"]*"/g, '"ts":"<ts>"')
    .replace(/took = \S+/g, 'took = <took>')
    .replace(/"took":"[^"]*"/g, '"took":"<took>"')
    .replace(/"Took" : \S+/g, '"Took" : <took>')
    .replace(/"dbSize(InUse)?":\d+/g, '"dbSize$1":<n>')
    .replace(/"DBSize" : \d+/g, '"DBSize" : <n>')
    .replace(/"DBSizeInUse" : \d+/g, '"DBSizeInUse" : <n>')
    .replace(/\d+(\.\d+)? [kMG]?B/g, '<size>')
    .replace(/client-[0-9a-f-]{36}/g, 'client-<uuid>')
    .replace(/\d+(\.\d+)?(ns|µs|ms|s)\b(?! )/g, '<dur>');
}

function runSession(ctl, ports) {
  const [cmd, ...pre] = CTLS[ctl];
  const bare = [cmd, ...pre].join(' '); // expanded unquoted by bash: paths without spaces
  const env = {
    ...process.env,
    ETCDCTL_API: '3',
    C: bare,
    E: `${bare} --endpoints=127.0.0.1:${ports.client}`,
    EP: `127.0.0.1:${ports.client}`,
    DEAD: `127.0.0.1:${ports.dead}`,
    HTTP: `http://127.0.0.1:${ports.client}`,
  };
  const work = mkdtempSync(join(tmpdir(), 'cmp-work-'));
  const out = [];
  for (const line of lines) {
    const r = spawnSync('bash', ['-c', line], { env, cwd: work, maxBuffer: 64 << 20, timeout: 60000 });
    out.push({
      stdout: normalize(r.stdout.toString('latin1'), ports),
      stderr: normalize(r.stderr.toString('latin1'), ports),
      code: r.status ?? `signal ${r.signal}`,
    });
  }
  rmSync(work, { recursive: true, force: true });
  return out;
}

const ports = { client: await freePort(), peer: await freePort(), dead: await freePort() };
const results = {};
for (const ctl of ctlKinds) {
  for (const server of ['real', 'ours']) {
    const s = await startServer(server, ports);
    const t0 = Date.now();
    results[`${ctl}-ctl/${server}-etcd`] = runSession(ctl, ports);
    await s.stop();
    rmSync(s.dir, { recursive: true, force: true });
    console.error(`ran ${lines.length} commands: ${ctl} etcdctl against ${server} etcd (${Date.now() - t0} ms)`);
  }
}

const refName = `${ctlKinds[0]}-ctl/real-etcd`;
const ref = results[refName];
let diffs = 0;
for (const [name, res] of Object.entries(results)) {
  if (name === refName) continue;
  for (let i = 0; i < lines.length; i++) {
    const a = ref[i];
    const b = res[i];
    for (const k of ['code', 'stdout', 'stderr']) {
      if (String(a[k]) !== String(b[k])) {
        diffs++;
        console.log(`=== [${i + 1}] ${name} differs in ${k}: ${lines[i]}`);
        console.log(`--- ${refName}:\n${JSON.stringify(a[k])}\n+++ ${name}:\n${JSON.stringify(b[k])}`);
      }
    }
  }
}
console.log(`${lines.length} commands x ${Object.keys(results).length} runs; ${diffs} differences against ${refName}`);
process.exitCode = diffs === 0 ? 0 : 1;
