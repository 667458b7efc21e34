// Golden-fixture harness for etcdctl: a fixture is a session of etcdctl invocations run
// against a fresh real etcd 3.4.23, with the exact stdout, stderr and exit code of each.
// `record-fixtures.ts` records them with Debian's etcdctl; the tests replay them with ours.
//
// The member is started the same way for recording and replay: default name, default
// advertised peer URL (http://localhost:2380) and cluster token, so member and cluster
// ids do not depend on the ports; two client URLs on one member give two endpoints.
// Only what differs per run is normalized, always to text of the same width so tables
// keep their shape: ports, etcdctl's own log timestamps and client ids, timings.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../helpers/free-port.js';

export { freePort };

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const FIXTURE_DIR = join(REPO_ROOT, 'test', 'cli', 'fixtures');
export const OUR_ETCDCTL = join(REPO_ROOT, 'bin', 'etcdctl');
export const REAL_ETCD = '/usr/bin/etcd';
export const REAL_ETCDCTL = '/usr/bin/etcdctl';

/** How long the member may take to answer /health before the test fails. */
const READY_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 50;
/** A single etcdctl run may take this long (the slowest cases wait out a 5 s command timeout). */
const CTL_TIMEOUT_MS = 30_000;

/** One etcdctl invocation. `${EP}`, `${EP2}`, `${DEAD}` in args and env are replaced by endpoints. */
export interface CtlStep {
  args: string[];
  stdin?: string;
  env?: Record<string, string>;
  /** Without it, `--endpoints=${EP}` is put in front of args. */
  noEndpoint?: boolean;
}

/** Setup done through the JSON gateway, not recorded: a lease with a fixed id. */
export interface GrantStep {
  grant: { id: string; ttl: number };
}

export type Step = CtlStep | GrantStep;

export interface Recorded {
  args: string[];
  stdin?: string;
  env?: Record<string, string>;
  noEndpoint?: boolean;
  stdout: string;
  /** Set instead of stdout when the output is not UTF-8 (-w protobuf). */
  stdoutBase64?: string;
  stderr: string;
  exit: number | null;
}

export interface Fixture {
  description: string;
  cases: Recorded[];
}

export function isGrant(s: Step): s is GrantStep {
  return 'grant' in s;
}


export interface RealMember {
  proc: ChildProcess;
  dataDir: string;
  ports: { client: number; client2: number; peer: number; dead: number };
}

async function waitHealthy(m: RealMember, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (m.proc.exitCode !== null) throw new Error(`etcd exited before ready:\n${log()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${m.ports.client}/health`);
      if (((await res.json()) as { health?: string }).health === 'true') return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
  throw new Error(`etcd not ready after ${READY_TIMEOUT_MS} ms:\n${log()}`);
}

/**
 * Starts Debian's etcd with two client URLs. Ports must have five digits so that the
 * normalized output keeps its width; free ports come from Linux's ephemeral range.
 */
export async function startRealEtcd(fixed?: RealMember['ports']): Promise<RealMember> {
  const ports = fixed ?? { client: await freePort(), client2: await freePort(), peer: await freePort(), dead: await freePort() };
  for (const p of Object.values(ports)) if (String(p).length !== 5) throw new Error(`port ${p} is not five digits`);
  const dataDir = mkdtempSync(join(tmpdir(), 'etcdctl-fixture-'));
  const c1 = `http://127.0.0.1:${ports.client}`;
  const proc = spawn(REAL_ETCD, [
    '--data-dir', dataDir,
    '--listen-client-urls', `${c1},http://127.0.0.1:${ports.client2}`,
    '--advertise-client-urls', c1,
    '--listen-peer-urls', `http://127.0.0.1:${ports.peer}`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const m = { proc, dataDir, ports };
  await waitHealthy(m, () => log);
  return m;
}

export async function stopRealEtcd(m: RealMember): Promise<void> {
  if (m.proc.exitCode === null && m.proc.signalCode === null) {
    const exited = new Promise<void>((r) => m.proc.once('exit', () => r()));
    m.proc.kill('SIGTERM');
    await exited;
  }
  rmSync(m.dataDir, { recursive: true, force: true });
}

/** Replaces a port number only where it stands alone, never inside a longer number such as an id. */
function replacePort(s: string, port: number, label: string): string {
  return s.replace(new RegExp(`(?<!\\d)${port}(?!\\d)`, 'g'), label);
}

function substitute(s: string, m: RealMember): string {
  return s
    .replaceAll('${EP}', `127.0.0.1:${m.ports.client}`)
    .replaceAll('${EP2}', `127.0.0.1:${m.ports.client2}`)
    .replaceAll('${DEAD}', `127.0.0.1:${m.ports.dead}`);
}

/** For binary output (-w protobuf): the ports, replaced in place (same length keeps it valid). */
function normalizeBytes(b: Buffer, m: RealMember): Buffer {
  let s = b.toString('latin1');
  s = replacePort(replacePort(replacePort(s, m.ports.client, 'EPORT'), m.ports.client2, 'EPRT2'), m.ports.peer, 'PPORT');
  return Buffer.from(s, 'latin1');
}

/**
 * The backend file's size depends on when the member's batched commits ran, not on the
 * client: status db sizes are compared by position only.
 */
export function normalizeDbSize(s: string): string {
  return s
    .replace(/"dbSize(InUse)?":\d+/g, '"dbSize$1":<n>')
    .replace(/"DBSize" : \d+/g, '"DBSize" : <n>')
    .replace(/(, \d+\.\d+\.\d+, )[\d.]+ [kMGTPE]?B, /g, '$1<db size>, ')
    .replace(/\|\s+[\d.]+ [kMGTPE]?B \|/g, '| <db size> |');
}

/** Makes output comparable across runs; the width of table cells is kept where it can be. */
export function normalize(text: string, m: RealMember): string {
  let s = [
    [m.ports.client, 'EPORT'],
    [m.ports.client2, 'EPRT2'],
    [m.ports.dead, 'DPORT'],
    [m.ports.peer, 'PPORT'],
  ].reduce((acc, [port, label]) => replacePort(acc, port as number, label as string), text)
    .replace(/"ts":"[^"]*"/g, '"ts":"<ts>"')
    // Go's detail for a dial that hit the deadline races the balancer: real etcdctl prints
    // "context deadline exceeded", "all SubConns are in TransientFailure" or the dial
    // error, run to run. The code and the final "Error:" line are still compared.
    .replace(/code = DeadlineExceeded desc = (?:[^"\\]|\\.)*/g, 'code = DeadlineExceeded desc = <dial detail>')
    .replace(/client-[0-9a-f-]{36}/g, 'client-<uuid>')
    .replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} /gm, '<time> ')
    .replace(/took = \S+/g, 'took = <took>')
    .replace(/"took":"[^"]*"/g, '"took":"<took>"')
    .replace(/"Took" : \S+/g, '"Took" : <took>');
  s = normalizeDbSize(s);
  // A health table's TOOK column changes width with the timing: compare its shape only.
  if (/\|\s+TOOK\s+\|/.test(s)) {
    s = s.replace(/\d+(\.\d+)?(ns|µs|ms|s)\b/g, '<took>').replace(/-+/g, '-').replace(/ +/g, ' ');
  }
  return s;
}

export interface RunOptions {
  /** Which etcdctl: Debian's, or ours through bin/etcdctl. */
  ctl: 'real' | 'ours';
}

export function runCtl(step: CtlStep, m: RealMember, opts: RunOptions): Recorded {
  const args = [...(step.noEndpoint ? [] : ['--endpoints=${EP}']), ...step.args].map((a) => substitute(a, m));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ETCDCTL_API: '3' };
  for (const [k, v] of Object.entries(step.env ?? {})) env[k] = substitute(v, m);
  const [cmd, argv] = opts.ctl === 'real' ? [REAL_ETCDCTL, args] : [process.execPath, [OUR_ETCDCTL, ...args]];
  const r = spawnSync(cmd, argv, { input: step.stdin ?? '', env, timeout: CTL_TIMEOUT_MS });
  const out = normalizeBytes(r.stdout, m);
  const utf8 = Buffer.from(out.toString('utf8')).equals(out);
  return {
    args: step.args,
    ...(step.stdin !== undefined ? { stdin: step.stdin } : {}),
    ...(step.env !== undefined ? { env: step.env } : {}),
    ...(step.noEndpoint ? { noEndpoint: true } : {}),
    stdout: utf8 ? normalize(out.toString('utf8'), m) : '',
    ...(utf8 ? {} : { stdoutBase64: out.toString('base64') }),
    stderr: normalize(r.stderr.toString('utf8'), m),
    exit: r.status,
  };
}

/** Setup steps go through etcd's JSON gateway, so both etcdctls see the same state. */
export async function runGrant(step: GrantStep, m: RealMember): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${m.ports.client}/v3/lease/grant`, {
    method: 'POST',
    body: JSON.stringify({ ID: step.grant.id, TTL: String(step.grant.ttl) }),
  });
  if (!res.ok) throw new Error(`lease grant failed: ${res.status} ${await res.text()}`);
}

/** Runs a session on a fresh member; returns one record per etcdctl step. */
export async function runSession(steps: Step[], opts: RunOptions, fixedPorts?: RealMember['ports']): Promise<Recorded[]> {
  const m = await startRealEtcd(fixedPorts);
  try {
    const out: Recorded[] = [];
    for (const s of steps) {
      if (isGrant(s)) await runGrant(s, m);
      else out.push(runCtl(s, m, opts));
    }
    return out;
  } finally {
    await stopRealEtcd(m);
  }
}

export function loadFixture(name: string): Fixture {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, `${name}.json`), 'utf8')) as Fixture;
}
