// Multi-member clusters of etcd-ts or real etcd for end-to-end tests: members on chosen
// loopback ports (so both kinds can be started on the same addresses and get the same
// ids), started together, polled until ready.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { etcdctl, freePort, OUR_ETCD, REAL_ETCD, removeDir, stopMember, tempDir, waitReady, type Member } from './processes.js';

export interface MemberSpec {
  name: string;
  clientPort: number;
  peerPort: number;
  /** https for peer TLS (then pass the --peer-* certificate flags as extra arguments). */
  peerScheme?: 'http' | 'https';
}

export function peerUrl(s: MemberSpec): string {
  return `${s.peerScheme ?? 'http'}://127.0.0.1:${s.peerPort}`;
}

export function clientEndpoint(s: MemberSpec): string {
  return `127.0.0.1:${s.clientPort}`;
}

export async function memberSpecs(names: string[]): Promise<MemberSpec[]> {
  const out: MemberSpec[] = [];
  for (const name of names) out.push({ name, clientPort: await freePort(), peerPort: await freePort() });
  return out;
}

export function initialCluster(specs: MemberSpec[]): string {
  return specs.map((s) => `${s.name}=${peerUrl(s)}`).join(',');
}

/** Fast elections keep the tests short; both kinds accept the same values. */
export const FAST_RAFT = ['--heartbeat-interval', '50', '--election-timeout', '500'];

/** Spawns one member without waiting for it; `waitReady` it when the cluster can elect. */
export function spawnMember(kind: 'ours' | 'real', spec: MemberSpec, opts: { initialCluster: string; state: 'new' | 'existing'; dataDir: string; token?: string; extraArgs?: string[] }): Member {
  const clientUrl = `http://127.0.0.1:${spec.clientPort}`;
  const args = [
    '--name', spec.name,
    '--data-dir', opts.dataDir,
    '--listen-client-urls', clientUrl,
    '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl(spec),
    '--initial-advertise-peer-urls', peerUrl(spec),
    '--initial-cluster', opts.initialCluster,
    '--initial-cluster-state', opts.state,
    '--initial-cluster-token', opts.token ?? 'etcd-cluster',
    ...FAST_RAFT,
    ...(opts.extraArgs ?? []),
  ];
  const bin = kind === 'ours' ? OUR_ETCD : REAL_ETCD;
  const proc = spawn(kind === 'ours' ? process.execPath : bin, kind === 'ours' ? [bin, ...args] : args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return { kind, proc, clientUrl, endpoint: clientEndpoint(spec), dataDir: opts.dataDir, stderr: () => err, args };
}

export interface Cluster {
  members: Member[];
  specs: MemberSpec[];
  endpoints: string;
  stop(): Promise<void>;
}

/** Starts a new cluster of `specs` and waits until every member serves. */
export async function startCluster(kind: 'ours' | 'real', specs: MemberSpec[], extraArgs: string[] = []): Promise<Cluster> {
  const root = tempDir(`etcd-cluster-${kind}-`);
  const ic = initialCluster(specs);
  const members = specs.map((s) => spawnMember(kind, s, { initialCluster: ic, state: 'new', dataDir: join(root, s.name), extraArgs }));
  const stop = async (): Promise<void> => {
    await Promise.all(members.map((m) => stopMember(m)));
    removeDir(root);
  };
  try {
    await Promise.all(members.map((m) => waitReady(m)));
  } catch (err) {
    await stop();
    throw err;
  }
  return { members, specs, endpoints: specs.map(clientEndpoint).join(','), stop };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** The endpoint whose member leads, by asking each for its status. */
export function leaderEndpoint(endpoints: string[]): string | undefined {
  for (const ep of endpoints) {
    const r = etcdctl('real', ['--endpoints', ep, 'endpoint', 'status', '-w', 'json', '--command-timeout=2s']);
    if (r.status !== 0) continue;
    const member = /"member_id":(\d+)/.exec(r.stdout)?.[1];
    const leader = /"leader":(\d+)/.exec(r.stdout)?.[1];
    if (member !== undefined && member === leader) return ep;
  }
  return undefined;
}
