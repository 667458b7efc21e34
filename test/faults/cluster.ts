// A three-member cluster on loopback for fault injection, with any member binary.
//
// Each member listens on its real peer port, but advertises (and is listed in
// --initial-cluster under) the port of a TcpProxy in front of it, so all peer traffic to it
// crosses that proxy and partitions are a matter of proxy modes. Members can be killed
// (SIGKILL) and restarted on the same data dir, paused (SIGSTOP) and resumed (SIGCONT).
// `close` undoes everything — processes, proxies, the temp dir — on every path.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '../../src/client/client.js';
import { freePort, OUR_ETCD, REAL_ETCD, removeDir, tempDir } from '../helpers/processes.js';
import { connectingPid } from './socket-owner.js';
import { DROP, PASS, TcpProxy, UNKNOWN_SOURCE } from './tcp-proxy.js';

/** How to start a member: the program and the arguments that precede etcd's flags. */
export interface MemberBinary {
  label: string;
  command: string;
  prefixArgs: string[];
}

export const REAL_ETCD_BINARY: MemberBinary = { label: 'etcd 3.4 (Debian)', command: REAL_ETCD, prefixArgs: [] };
export const OUR_ETCD_BINARY: MemberBinary = { label: 'etcd-ts', command: process.execPath, prefixArgs: [OUR_ETCD] };

export interface ClusterOptions {
  binary: MemberBinary;
  size?: number;
  heartbeatMs?: number;
  electionMs?: number;
  /** More flags for every member (e.g. a small --snapshot-count). */
  extraArgs?: string[];
  /** Keep the temp dir (member logs, data) after close, for debugging. */
  keepDir?: boolean;
}

/** Poll step while waiting for readiness or a leader. */
const POLL_MS = 50;
/** A member must be ready this long after (re)start. */
const START_TIMEOUT_MS = 30_000;

export interface ClusterMember {
  name: string;
  clientUrl: string;
  peerPort: number;
  proxy: TcpProxy;
  dataDir: string;
  logPath: string;
  proc: ChildProcess | undefined;
  /** Raft member id (from Status), known once it has answered. */
  id: bigint | undefined;
  paused: boolean;
  /** Client for this member alone: Status and readiness. */
  client: Client;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Clusters not yet closed. If the process exits without closing one (a test timeout, an
 * uncaught error), the exit hook still kills its members (synchronously, as 'exit' needs)
 * so no etcd outlives the test run; paused ones get SIGCONT so SIGKILL is not deferred.
 */
const openClusters = new Set<FaultCluster>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of openClusters) c.killAllNow();
  });
}

export class FaultCluster {
  readonly members: ClusterMember[] = [];
  readonly heartbeatMs: number;
  readonly electionMs: number;
  private closed = false;

  private constructor(readonly opts: ClusterOptions, readonly dir: string) {
    this.heartbeatMs = opts.heartbeatMs ?? 50;
    this.electionMs = opts.electionMs ?? 500;
  }

  /** Starts all members and waits until every one has answered Status and a leader exists. */
  static async start(opts: ClusterOptions): Promise<FaultCluster> {
    const c = new FaultCluster(opts, tempDir('etcd-faults-'));
    installExitHook();
    openClusters.add(c);
    try {
      const size = opts.size ?? 3;
      for (let i = 0; i < size; i++) {
        const clientUrl = `http://127.0.0.1:${await freePort()}`;
        const name = `m${i}`;
        const peerPort = await freePort();
        const proxy = new TcpProxy({ listenPort: await freePort(), targetPort: peerPort, identify: (remote, local) => c.identify(remote, local) });
        c.members.push({
          name, clientUrl, peerPort, proxy,
          dataDir: join(c.dir, name), logPath: join(c.dir, `${name}.log`),
          proc: undefined, id: undefined, paused: false,
          client: new Client({ endpoints: [clientUrl], dialTimeoutMs: 300, commandTimeoutMs: 1_000 }),
        });
      }
      for (const m of c.members) await m.proxy.start();
      for (let i = 0; i < size; i++) c.spawn(i);
      await Promise.all(c.members.map((_, i) => c.waitAnswering(i)));
      await c.waitLeader(START_TIMEOUT_MS);
      return c;
    } catch (e) {
      // The members' own logs are the only record of why start-up failed; read them before
      // close removes the dir.
      const logs = c.logTails();
      await c.close();
      throw new Error(`${(e as Error).message}\n${logs}`, { cause: e });
    }
  }

  get pids(): number[] {
    return this.members.flatMap((m) => (m.proc?.pid !== undefined && m.proc.exitCode === null && m.proc.signalCode === null ? [m.proc.pid] : []));
  }

  /** Which member opened a peer connection (by its loopback port), for the proxies. */
  private async identify(remotePort: number, localPort: number): Promise<string> {
    const pid = await connectingPid(localPort, remotePort, this.pids);
    return this.members.find((m) => m.proc?.pid === pid)?.name ?? UNKNOWN_SOURCE;
  }

  private flags(i: number): string[] {
    const m = this.members[i]!;
    const peer = (x: ClusterMember): string => `http://127.0.0.1:${x.proxy.listenPort}`;
    return [
      '--name', m.name,
      '--data-dir', m.dataDir,
      '--listen-client-urls', m.clientUrl,
      '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', `http://127.0.0.1:${m.peerPort}`,
      '--initial-advertise-peer-urls', peer(m),
      '--initial-cluster', this.members.map((x) => `${x.name}=${peer(x)}`).join(','),
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', 'fault-test',
      '--heartbeat-interval', String(this.heartbeatMs),
      '--election-timeout', String(this.electionMs),
      ...(this.opts.extraArgs ?? []),
    ];
  }

  /** Starts member i; on a restart the data dir exists and the initial-cluster flags are ignored. */
  private spawn(i: number): void {
    const m = this.members[i]!;
    mkdirSync(this.dir, { recursive: true });
    const log = openSync(m.logPath, 'a');
    try {
      m.proc = spawn(this.opts.binary.command, [...this.opts.binary.prefixArgs, ...this.flags(i)], { stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    m.proc.on('error', () => undefined);
    m.paused = false;
  }

  alive(i: number): boolean {
    const p = this.members[i]!.proc;
    return p !== undefined && p.exitCode === null && p.signalCode === null;
  }

  /** SIGKILL, and wait for the exit. */
  async kill(i: number): Promise<void> {
    const m = this.members[i]!;
    if (!this.alive(i)) return;
    const exited = new Promise<void>((r) => m.proc!.once('exit', () => r()));
    m.proc!.kill('SIGKILL');
    await exited;
    m.paused = false;
  }

  /** Restarts a killed member on its data dir and waits until it answers. */
  async restart(i: number): Promise<void> {
    if (this.alive(i)) throw new Error(`${this.members[i]!.name} is still running`);
    this.spawn(i);
    await this.waitAnswering(i);
  }

  pause(i: number): void {
    this.members[i]!.proc!.kill('SIGSTOP');
    this.members[i]!.paused = true;
  }

  resume(i: number): void {
    if (this.alive(i)) this.members[i]!.proc!.kill('SIGCONT');
    this.members[i]!.paused = false;
  }

  /**
   * Cuts peer links between the groups (indices); links inside a group pass. A member cut
   * off from anyone also drops connections the proxy cannot attribute (their process died
   * or is racing its own exit), so nothing leaks across the partition.
   */
  partition(groups: number[][]): void {
    const groupOf = new Map<number, number>();
    groups.forEach((g, gi) => g.forEach((i) => groupOf.set(i, gi)));
    for (const [i, m] of this.members.entries()) {
      let isolatedFromSome = false;
      for (const [j, other] of this.members.entries()) {
        if (i === j) continue;
        const same = groupOf.get(i) === groupOf.get(j);
        isolatedFromSome ||= !same;
        m.proxy.setMode(other.name, same ? PASS : DROP);
      }
      m.proxy.setMode(UNKNOWN_SOURCE, isolatedFromSome ? DROP : PASS);
    }
  }

  heal(): void {
    for (const m of this.members) m.proxy.setAll(PASS);
  }

  /** Status of member i, or undefined when it does not answer in time. */
  async status(i: number): Promise<{ id: bigint; leader: bigint; term: bigint } | undefined> {
    const m = this.members[i]!;
    if (!this.alive(i) || m.paused) return undefined;
    try {
      const s = await m.client.status({ timeoutMs: 500 });
      m.id = s.header?.memberId;
      return { id: s.header!.memberId, leader: s.leader, term: s.raftTerm };
    } catch {
      return undefined;
    }
  }

  private async waitAnswering(i: number): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while ((await this.status(i)) === undefined) {
      if (!this.alive(i)) throw new Error(`${this.members[i]!.name} exited:\n${this.tail(i)}`);
      if (Date.now() > deadline) throw new Error(`${this.members[i]!.name} not answering after ${START_TIMEOUT_MS} ms:\n${this.tail(i)}`);
      await sleep(POLL_MS);
    }
  }

  /**
   * Polls Status on `among` (default: all running members) until they all name the same
   * leader, which is one of them; returns its index. Throws after `timeoutMs`.
   */
  async waitLeader(timeoutMs: number, among?: number[]): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    const group = among ?? this.members.map((_, i) => i).filter((i) => this.alive(i) && !this.members[i]!.paused);
    for (;;) {
      const statuses = await Promise.all(group.map((i) => this.status(i)));
      const leaders = new Set(statuses.map((s) => s?.leader ?? 0n));
      if (leaders.size === 1 && !leaders.has(0n)) {
        const leaderId = [...leaders][0]!;
        const idx = group.find((i) => statuses[group.indexOf(i)]?.id === leaderId);
        if (idx !== undefined) return idx;
      }
      if (Date.now() > deadline) {
        throw new Error(`no leader agreed by ${group.map((i) => this.members[i]!.name).join(',')} within ${timeoutMs} ms (saw ${statuses.map((s) => s?.leader.toString(16) ?? '-').join(' ')})`);
      }
      await sleep(POLL_MS);
    }
  }

  /** The last lines of member i's log, for error messages. */
  tail(i: number, lines = 15): string {
    try {
      return readFileSync(this.members[i]!.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /**
   * Every member's log tail under a header naming it, for assertion messages: a failure seen
   * once in CI must say what each member was doing.
   */
  logTails(lines = 40): string {
    return this.members.map((m, i) => `--- ${m.name} (${m.logPath}, last ${lines} lines) ---\n${this.tail(i, lines)}`).join('\n');
  }

  /** Client URLs of all members, for workload clients. */
  get clientUrls(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  /** Last resort for the exit hook: signals every member process and removes the temp dir. */
  killAllNow(): void {
    for (const m of this.members) {
      if (m.proc === undefined || m.proc.exitCode !== null || m.proc.signalCode !== null) continue;
      m.proc.kill('SIGCONT');
      m.proc.kill('SIGKILL');
    }
    if (this.opts.keepDir !== true) removeDir(this.dir);
  }

  /** Kills everything and removes the temp dir unless `keep` (default: the keepDir option). */
  async close(keep = this.opts.keepDir === true): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    openClusters.delete(this);
    for (const [i, m] of this.members.entries()) {
      m.client.close();
      if (this.alive(i)) {
        const exited = new Promise<void>((r) => m.proc!.once('exit', () => r()));
        m.proc!.kill('SIGCONT');
        m.proc!.kill('SIGKILL');
        await exited;
      }
    }
    await Promise.all(this.members.map((m) => m.proxy.close()));
    if (!keep) removeDir(this.dir);
  }
}
