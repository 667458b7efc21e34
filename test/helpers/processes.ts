// Spawning etcd members (ours or Debian's real etcd) for end-to-end tests, on free
// loopback ports with throwaway data dirs, and waiting for readiness by polling.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { freePort } from './free-port.js';

export { freePort };

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const OUR_ETCD = join(REPO_ROOT, 'bin', 'etcd');
export const OUR_ETCDCTL = join(REPO_ROOT, 'bin', 'etcdctl');
export const REAL_ETCD = '/usr/bin/etcd';
export const REAL_ETCDCTL = '/usr/bin/etcdctl';

/** How long a member may take to become ready before the test fails. */
const READY_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 50;

export interface Member {
  kind: 'ours' | 'real';
  proc: ChildProcess;
  clientUrl: string;
  endpoint: string;
  dataDir: string;
  stderr: () => string;
  args: string[];
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface StartOptions {
  dataDir?: string;
  clientPort?: number;
  peerPort?: number;
  /**
   * The peer port the member advertises (default: the one it listens on). Member and cluster
   * IDs derive from the advertised URL: two members given the same one get the same IDs, so
   * their responses' headers are the same size.
   */
  advertisedPeerPort?: number;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

export async function startMember(kind: 'ours' | 'real', opts: StartOptions = {}): Promise<Member> {
  const clientPort = opts.clientPort ?? (await freePort());
  const peerPort = opts.peerPort ?? (await freePort());
  const dataDir = opts.dataDir ?? join(tempDir(`etcd-${kind}-`), 'data');
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const advertisedPeerUrl = `http://127.0.0.1:${opts.advertisedPeerPort ?? peerPort}`;
  const args = [
    '--data-dir', dataDir,
    '--listen-client-urls', clientUrl,
    '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl,
    '--initial-advertise-peer-urls', advertisedPeerUrl,
    '--initial-cluster', `default=${advertisedPeerUrl}`,
    ...(opts.extraArgs ?? []),
  ];
  const bin = kind === 'ours' ? OUR_ETCD : REAL_ETCD;
  const proc = spawn(kind === 'ours' ? process.execPath : bin, kind === 'ours' ? [bin, ...args] : args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...(opts.env ?? {}) },
  });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const m: Member = { kind, proc, clientUrl, endpoint: `127.0.0.1:${clientPort}`, dataDir, stderr: () => err, args };
  await waitReady(m);
  return m;
}

/** Polls /health until the member answers healthy; fails if the process exits first. */
export async function waitReady(m: Member): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (m.proc.exitCode !== null || m.proc.signalCode !== null) {
      throw new Error(`${m.kind} etcd exited (${m.proc.exitCode ?? m.proc.signalCode}) before ready:\n${m.stderr()}`);
    }
    try {
      const res = await fetch(`${m.clientUrl}/health`);
      const body = (await res.json()) as { health?: string };
      if (body.health === 'true') return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
  throw new Error(`${m.kind} etcd not ready after ${READY_TIMEOUT_MS} ms:\n${m.stderr()}`);
}

export async function stopMember(m: Member, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (m.proc.exitCode !== null || m.proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => m.proc.once('exit', () => r()));
  m.proc.kill(signal);
  await exited;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Starts a member, runs `fn` on it, then stops it and removes the data dir startMember made
 * for it (one the caller gave in `opts` is left alone).
 */
export async function withMember<T>(kind: 'ours' | 'real', opts: StartOptions, fn: (m: Member) => Promise<T>): Promise<T> {
  const m = await startMember(kind, opts);
  try {
    return await fn(m);
  } finally {
    await stopMember(m);
    if (opts.dataDir === undefined) removeDir(dirname(m.dataDir));
  }
}

export interface CtlResult {
  stdout: string;
  stderr: string;
  status: number | null;
}

/** Runs an etcdctl (ours or real) synchronously with ETCDCTL_API=3. */
export function etcdctl(which: 'ours' | 'real', args: string[], input?: string, env: NodeJS.ProcessEnv = {}): CtlResult {
  const cmd = which === 'ours' ? process.execPath : REAL_ETCDCTL;
  const argv = which === 'ours' ? [OUR_ETCDCTL, ...args] : args;
  const r = spawnSync(cmd, argv, {
    input,
    encoding: 'utf8',
    env: { ...process.env, ETCDCTL_API: '3', ...env },
    timeout: 30_000,
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}
