// One seeded fault run: a cluster, concurrent recorded clients, a schedule of faults
// (kill -9 of leader or follower and restart on the same data dir, partitions through the
// peer proxies, SIGSTOP/SIGCONT pauses), then heal and judge:
//   - the history is linearizable (src/linearizability);
//   - every acknowledged write-once key exists at the end, and nothing never written does;
//   - watchers of the whole key space (one starting on each member, resuming after errors
//     as clientv3 does) saw the store's history in order, once, without gaps, matching the
//     acknowledged writes and the final full-range read (src/linearizability/watch-check.ts);
//   - after each fault, the members that can still form a quorum agree on a leader within
//     `leaderBoundElections` election timeouts, and so does the whole cluster after healing.

import { prefixRangeEnd } from '../../src/pkg/prefix-range.js';
import { Client } from '../../src/client/client.js';
import { checkHistory, checkWatches, type CheckResult } from '../../src/linearizability/index.js';
import { rng } from '../linearizability/history-builders.js';
import { FaultCluster, type MemberBinary } from './cluster.js';
import { UNIQUE_PREFIX, Workload } from './workload.js';
import { WatchRecorder } from './watchers.js';

export type FaultKind = 'kill-leader' | 'kill-follower' | 'partition-leader' | 'partition-follower' | 'pause-leader' | 'pause-follower';

export const ALL_FAULTS: readonly FaultKind[] = ['kill-leader', 'kill-follower', 'partition-leader', 'partition-follower', 'pause-leader', 'pause-follower'];

export interface FaultRunOptions {
  binary: MemberBinary;
  seed: number;
  /** Time spent injecting faults (the run also starts, heals and checks). */
  durationMs: number;
  clients?: number;
  keys?: number;
  faults?: readonly FaultKind[];
  /** Take the fault kinds in turn instead of at random (a short run then covers each). */
  cycle?: boolean;
  /** Keep injecting past durationMs until this many faults were injected. */
  minFaults?: number;
  /** Negative control: serializable (possibly stale) reads, which partitions must expose. */
  serializableReads?: boolean;
  /** Clients never leave their member (so one is always on the faulty member). */
  stickyEndpoints?: boolean;
  /** How long each fault lasts; default random in [800, 2000) ms. */
  holdMs?: number;
  /** Deadline of each client operation (default 1500 ms). */
  opTimeoutMs?: number;
  /** How many election timeouts a leader may take to appear after a fault or heal. */
  leaderBoundElections?: number;
  heartbeatMs?: number;
  electionMs?: number;
  /** Whole-key-space watchers whose histories are checked (default 3, one per member). */
  watchers?: number;
  /** Keep the temp dir (member logs, data) of a run that found anomalies or crashed. */
  keepDir?: boolean;
  log?: (line: string) => void;
}

export interface FaultRecord {
  kind: FaultKind;
  member: string;
  /** Time from the fault to a leader agreed among the members still able to elect one. */
  leaderAfterFaultMs: number;
  /** Time from healing (restart answering, heal, resume) to a leader agreed by all. */
  leaderAfterHealMs: number;
}

export interface RunReport {
  seed: number;
  binary: string;
  faults: FaultRecord[];
  ops: { ok: number; unknown: number };
  check: CheckResult;
  acknowledgedUnique: number;
  /** Watch events checked (over all watchers) and what was wrong with them (also in `anomalies`). */
  watch: { watchers: number; events: number; anomalies: string[] };
  /** Everything wrong, in words; empty when the run passed. */
  anomalies: string[];
  /** Every member's log tail, taken when the run found anomalies (empty otherwise). */
  memberLogs: string;
  dir: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How long watchers may take to deliver the last revision once the cluster is healed. */
const WATCH_CATCH_UP_MS = 15_000;
/** The whole key space, for the final read the watch histories are compared with. */
const ALL_KEYS = Buffer.from([0]);

export async function runFaults(o: FaultRunOptions): Promise<RunReport> {
  const rand = rng(o.seed);
  const log = o.log ?? ((): void => undefined);
  // ETCD_TS_FAULTS_KEEP_DIR=1 keeps a failed run's dir (member logs, data) when looping a test.
  const keepDir = o.keepDir ?? process.env.ETCD_TS_FAULTS_KEEP_DIR === '1';
  const cluster = await FaultCluster.start({ binary: o.binary, heartbeatMs: o.heartbeatMs, electionMs: o.electionMs, keepDir });
  const boundMs = (o.leaderBoundElections ?? 6) * cluster.electionMs;
  const anomalies: string[] = [];
  const faults: FaultRecord[] = [];
  let failed = true;
  const workload = new Workload({ endpoints: cluster.clientUrls, clients: o.clients ?? 4, keys: o.keys ?? 3, rand: rng(o.seed ^ 0x5eed), opTimeoutMs: o.opTimeoutMs ?? 1_500, thinkMs: 10, serializableReads: o.serializableReads, stickyEndpoints: o.stickyEndpoints });
  const watchers = new WatchRecorder(cluster.clientUrls, o.watchers ?? 3);
  let watch: RunReport['watch'] = { watchers: o.watchers ?? 3, events: 0, anomalies: [] };
  try {
    watchers.start();
    workload.start();
    const kinds = o.faults ?? ALL_FAULTS;
    const end = Date.now() + o.durationMs;
    for (let n = 0; Date.now() < end || n < (o.minFaults ?? 0); n++) {
      await sleep(200 + rand() * 500);
      const pick = Math.floor(rand() * kinds.length);
      const kind = kinds[o.cycle === true ? n % kinds.length : pick]!;
      try {
        const hold = 800 + rand() * 1_200;
        const rec = await injectOne(cluster, kind, rand, boundMs, o.holdMs ?? hold);
        faults.push(rec);
        log(`fault ${kind} on ${rec.member}: leader after ${rec.leaderAfterFaultMs} ms, after heal ${rec.leaderAfterHealMs} ms`);
      } catch (e) {
        // The members' logs now, not after the recovery below has pushed the story out of the tail.
        anomalies.push(`${kind}: ${(e as Error).message}\n${cluster.logTails()}`);
        log(`fault ${kind}: ${(e as Error).message}`);
        // Put the cluster back together before going on.
        cluster.heal();
        for (let i = 0; i < cluster.members.length; i++) {
          cluster.resume(i);
          if (!cluster.alive(i)) await cluster.restart(i);
        }
        await cluster.waitLeader(30_000);
      }
    }
    await workload.stop();
    await cluster.waitLeader(boundMs);
    const finalClient = new Client({ endpoints: cluster.clientUrls, dialTimeoutMs: 500, commandTimeoutMs: 5_000 });
    try {
      // Final reads join the history: a lost acknowledged write shows up as a non-linearizable read.
      for (let k = 0; k < (o.keys ?? 3); k++) {
        const out = await workload.run(-1, finalClient, { kind: 'get', key: `k${k}` });
        if (out === undefined) anomalies.push(`final read of k${k} failed after healing`);
      }
      const r = await finalClient.range({ key: Buffer.from(UNIQUE_PREFIX), rangeEnd: prefixRangeEnd(Buffer.from(UNIQUE_PREFIX)) });
      const present = new Set(r.kvs.map((kv) => kv.key.toString()));
      const lost = [...workload.acknowledgedUnique].filter((k) => !present.has(k));
      if (lost.length > 0) anomalies.push(`${lost.length} acknowledged writes lost, e.g. ${lost.slice(0, 5).join(', ')}`);
      const phantom = [...present].filter((k) => !workload.acknowledgedUnique.has(k) && !workload.unknownUnique.has(k));
      if (phantom.length > 0) anomalies.push(`${phantom.length} keys present that no client wrote, e.g. ${phantom.slice(0, 5).join(', ')}`);
      // The store's whole contents and revision: what every watcher's history must add up to.
      const all = await finalClient.range({ key: ALL_KEYS, rangeEnd: ALL_KEYS });
      const finalRevision = Number(all.header?.revision ?? 0n);
      await watchers.catchUp(finalRevision, WATCH_CATCH_UP_MS);
      const kvs = new Map(all.kvs.map((kv) => [kv.key.toString(), kv.value.toString()]));
      const w = checkWatches({ watchers: watchers.records(), writes: workload.writes, final: { revision: finalRevision, kvs }, baseRevision: 1 });
      watch = { watchers: watch.watchers, events: w.events, anomalies: w.anomalies };
      anomalies.push(...w.anomalies.map((a) => `watch: ${a}`));
    } finally {
      finalClient.close();
    }
    const check = checkHistory(workload.recorder.history());
    if (check.outcome === 'illegal') anomalies.push(`history not linearizable:\n${check.failure!.text}`);
    if (check.outcome === 'unknown') anomalies.push(`linearizability undecided (search budget) for keys ${check.undecidedKeys.join(', ')}`);
    failed = false;
    return {
      seed: o.seed, binary: o.binary.label, faults, ops: { ...workload.counts }, check,
      acknowledgedUnique: workload.acknowledgedUnique.size, watch, anomalies, dir: cluster.dir,
      memberLogs: anomalies.length > 0 ? cluster.logTails() : '',
    };
  } catch (e) {
    // A run that could not even finish (a member never came back, no leader after healing)
    // carries the members' logs, which close is about to delete.
    throw new Error(`${(e as Error).message}\nanomalies so far: ${anomalies.join('; ') || 'none'}\n${cluster.logTails()}`, { cause: e });
  } finally {
    await workload.stop();
    watchers.close();
    // A kept dir is only worth keeping when something went wrong.
    await cluster.close(keepDir && (anomalies.length > 0 || failed));
  }
}

/** Injects one fault, holds it for `holdMs`, heals, and measures leader elections. */
async function injectOne(cluster: FaultCluster, kind: FaultKind, rand: () => number, boundMs: number, holdMs: number): Promise<FaultRecord> {
  const all = cluster.members.map((_, i) => i);
  const leader = await cluster.waitLeader(boundMs);
  const followers = all.filter((i) => i !== leader);
  const target = kind.endsWith('-leader') ? leader : followers[Math.floor(rand() * followers.length)]!;
  const others = all.filter((i) => i !== target);
  const name = cluster.members[target]!.name;

  const t0 = Date.now();
  if (kind.startsWith('kill')) await cluster.kill(target);
  else if (kind.startsWith('partition')) cluster.partition([[target], others]);
  else cluster.pause(target);
  const leaderAfterFaultMs = await timed(() => cluster.waitLeader(boundMs, others), t0, `after ${kind} of ${name}`);
  await sleep(Math.max(0, holdMs - (Date.now() - t0)));

  if (kind.startsWith('kill')) await cluster.restart(target);
  else if (kind.startsWith('partition')) cluster.heal();
  else cluster.resume(target);
  const leaderAfterHealMs = await timed(() => cluster.waitLeader(boundMs), Date.now(), `after healing ${kind} of ${name}`);
  return { kind, member: name, leaderAfterFaultMs, leaderAfterHealMs };
}

async function timed(f: () => Promise<unknown>, t0: number, what: string): Promise<number> {
  try {
    await f();
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
  return Date.now() - t0;
}
