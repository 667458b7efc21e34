// Builds and runs scripts/go-clientv3-bench (etcd's Go client as a second load generator, see
// its main.go). The Go toolchain and etcd 3.4's client sources come from Debian
// (golang-go, golang-etcd-server-dev), installed with apt-get when missing, as bench.mjs
// installs etcd-server; the build is offline, in GOPATH mode against /usr/share/gocode.

import { execFileSync, execSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';

const SOURCE = resolve(import.meta.dirname, '..', 'go-clientv3-bench');
const GOCODE = '/usr/share/gocode';
const CLIENTV3 = join(GOCODE, 'src/go.etcd.io/etcd/clientv3');

function goAvailable() {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return existsSync(CLIENTV3);
  } catch {
    return false;
  }
}

/** The path of the built binary; throws with the reason when it cannot be built. */
export function buildGoClientBench(log = (s) => process.stderr.write(s + '\n')) {
  if (!goAvailable()) {
    log('installing golang-go and golang-etcd-server-dev (apt-get) for the Go client cross-check');
    execSync('apt-get install -y golang-go golang-etcd-server-dev', { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const out = join(os.tmpdir(), 'etcd-ts-go-clientv3-bench');
  const env = { ...process.env, GO111MODULE: 'off', GOPATH: `${GOCODE}:${join(os.tmpdir(), 'etcd-ts-gopath')}`, GOFLAGS: '' };
  execFileSync('go', ['build', '-o', out, '.'], { cwd: SOURCE, env, stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}

/**
 * One run against `endpoints`: resolves {qps, p50, p99, errors, firstErr, ok, secs} like
 * bench.mjs's runOne. `workload` is put | range-l | range-s | txn-put.
 */
export function runGoClientBench(bin, endpoints, { workload, conns, clients, total, valSize = 256, keySpaceSize = 100_000 }) {
  const args = ['-endpoints', endpoints, '-workload', workload, '-conns', `${conns}`, '-clients', `${clients}`, '-total', `${total}`];
  args.push('-val-size', `${valSize}`, '-key-space-size', `${keySpaceSize}`);
  const t0 = Date.now();
  return new Promise((res) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (err = (err + c).slice(-2000)));
    p.on('close', (code) => {
      const secs = (Date.now() - t0) / 1000;
      try {
        const r = JSON.parse(out.trim().split('\n').at(-1));
        res({ qps: r.rps, p50: r.p50, p99: r.p99, errors: r.errors, firstErr: r.firstError, ok: r.ok, secs });
      } catch {
        res({ qps: 0, p50: 0, p99: 0, errors: 1, firstErr: `exit ${code}: ${err.trim().slice(-200)}`, ok: 0, secs });
      }
    });
  });
}
