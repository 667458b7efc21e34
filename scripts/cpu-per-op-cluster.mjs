#!/usr/bin/env node
// Server CPU time per replicated put in a three-member loopback cluster: starts three members
// (ours or real etcd) on fresh data dirs, runs `bin/benchmark put` (50 clients, 5 connections,
// 256 B values) against the leader and prints, for the leader and each follower, the utime+stime
// delta (from /proc/<pid>/stat) divided by the number of puts, plus puts per WAL fsync and the
// mean fsync duration of each member (from /metrics). With three members sharing two cores, the total CPU per put
// bounds throughput; it is far steadier on a shared machine than QPS. A measuring tool, not a test.
//
//   node scripts/cpu-per-op-cluster.mjs [--kind ours|real] [--total 20000] [--reps 1] [--instr 1]
//        [--clients 50] [--conns 5]
//        [--prof DIR] [--root DIR] [--warm 0]
// --clients N --conns N set the measured run's clients and connections (default 50 and 5; use
// --clients 1 --conns 1 --total 2000 for the lone-writer latency case).
// --warm N runs N more puts with the measured run's clients and connections before measuring: the
// 50-client warm-up alone leaves a lone writer's per-message code unoptimised for thousands of
// puts (the first 3,000 1-client puts after it cost ~40% more server CPU than the next 3,000).
// --instr 1 also counts each member's user-space instructions per put with `perf stat`.
// --prof DIR runs our members under `node --cpu-prof` (profiles written to DIR on exit).
// --root DIR runs bin/etcd of another checkout (e.g. a copy of main) for A/B comparisons.
// ALL_ENDPOINTS=1 in the environment spreads the clients over every member, as `npm run bench`
// does, instead of sending them all to the leader (followers then forward their proposals).
// --stdout PREFIX keeps each of our members' stdout in PREFIX.m<i> (e.g. for --node --trace-deopt).
// --node "FLAGS" passes flags to our members' node; --record FILE runs `perf record -e
// instructions:u` on a follower during the measured run (with --node --perf-basic-prof for JS names;
// PERF_G=1 in the environment records call graphs too).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { cpuTicks, freePort, memberArgs, parseFlags, sleep } from './lib/local-members.mjs';

const HERE = resolve(import.meta.dirname, '..');
const opt = { kind: 'ours', total: 20000, reps: 1, clients: 50, conns: 5, instr: '', prof: '', root: '', node: '', record: '', stdout: '', warm: 0 };
parseFlags(opt);
const ROOT = opt.root ? resolve(opt.root) : HERE;
const TICK = 100; // USER_HZ on Linux

const dir = mkdtempSync(join(os.tmpdir(), `cpuop3-${opt.kind}-`));
const ports = [];
for (let i = 0; i < 3; i++) ports.push({ client: await freePort(), peer: await freePort() });
const initial = ports.map((p, i) => `m${i}=http://127.0.0.1:${p.peer}`).join(',');
const members = ports.map((p, i) => {
  const args = memberArgs({ name: `m${i}`, dataDir: join(dir, `m${i}`), ports: p, initialCluster: initial, token: `cpu3-${opt.kind}` });
  const nodeArgs = opt.prof ? ['--cpu-prof', `--cpu-prof-dir=${opt.prof}`, `--cpu-prof-name=m${i}-${Date.now()}.cpuprofile`] : [];
  if (opt.node) nodeArgs.push(...opt.node.split(' '));
  const proc =
    opt.kind === 'ours'
      ? spawn(process.execPath, [...nodeArgs, join(ROOT, 'bin/etcd'), ...args], { stdio: ['ignore', opt.stdout ? openSync(`${opt.stdout}.m${i}`, 'w') : 'ignore', 'inherit'] })
      : spawn('/usr/bin/etcd', args, { stdio: ['ignore', 'ignore', 'ignore'] });
  return { name: `m${i}`, proc, ep: `127.0.0.1:${p.client}` };
});

async function metrics(m) {
  let text;
  for (let i = 0; ; i++) {
    try {
      text = await (await fetch(`http://${m.ep}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
      break;
    } catch (e) {
      if (i > 3) throw e; // a reused keep-alive connection the member closed: retry on a new one
    }
  }
  const num = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  return {
    fsyncs: num('etcd_disk_wal_fsync_duration_seconds_count'),
    fsyncSecs: num('etcd_disk_wal_fsync_duration_seconds_sum'),
    applied: num('etcd_server_proposals_applied_total'),
    isLeader: num('etcd_server_is_leader'),
    sent: sumOf(text, 'etcd_network_peer_sent_bytes_total'),
    // fdatasyncs that took at most 4 ms (a histogram bucket both etcd and we export)
    fsyncsLe4ms: Number(/^etcd_disk_wal_fsync_duration_seconds_bucket\{le="0.004"\} (\S+)/m.exec(text)?.[1] ?? NaN),
  };
}
function sumOf(text, name) {
  let s = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'gm'))) s += Number(m[1]);
  return s;
}

const deadline = Date.now() + 30_000;
for (;;) {
  const ok = await Promise.all(members.map((m) => fetch(`http://${m.ep}/health`, { signal: AbortSignal.timeout(1000) }).then((r) => r.json()).then((j) => j.health === 'true').catch(() => false)));
  if (ok.every(Boolean)) break;
  if (Date.now() > deadline) throw new Error('cluster not healthy');
  await sleep(200);
}
const bench = (argv) => spawnSync(process.execPath, [join(HERE, 'bin/benchmark'), '--endpoints', members.map((m) => m.ep).join(','), ...(process.env.ALL_ENDPOINTS ? [] : ['--target-leader']), ...argv], { encoding: 'utf8' });
// warm up (JIT) before measuring
bench(['put', '--conns', '5', '--clients', '50', '--total', '3000', '--val-size', '256', '--key-space-size', '1000']);

if (opt.warm > 0) bench(['put', '--conns', `${opt.conns}`, '--clients', `${opt.clients}`, '--total', `${opt.warm}`, '--val-size', '256', '--key-space-size', '100000', '--sequential-keys']);
// With ETCD_TS_PUTTRACE set, our members' put traces start their summarised window here (past the warm-up).
if (opt.kind === 'ours' && process.env.ETCD_TS_PUTTRACE) for (const m of members) m.proc.kill('SIGUSR2');
for (let rep = 0; rep < opt.reps; rep++) {
  const before = await Promise.all(members.map(metrics));
  const ticks0 = members.map((m) => cpuTicks(m.proc.pid));
  const perfs = opt.instr
    ? members.map((m) => {
        const p = spawn('perf', ['stat', '-x', ',', '-e', 'instructions:u', '-p', String(m.proc.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
        p.out = '';
        p.stderr.on('data', (d) => (p.out += d));
        return p;
      })
    : null;
  let rec;
  if (opt.record) {
    const leaderIdx = before.findIndex((b) => b.isLeader === 1);
    const follower = members[(leaderIdx + 1) % members.length];
    rec = spawn('perf', ['record', ...(process.env.PERF_G ? ['-g'] : []), '-e', 'instructions:u', '-o', opt.record, '-p', String(follower.proc.pid)], { stdio: 'ignore' });
  }
  if (perfs || rec) await sleep(200);
  const t0 = Date.now();
  const N = opt.total;
  const r = bench(['put', '--conns', `${opt.conns}`, '--clients', `${opt.clients}`, '--total', `${N}`, '--val-size', '256', '--key-space-size', '100000', '--sequential-keys']);
  const secs = (Date.now() - t0) / 1000;
  const ticks = members.map((m, i) => cpuTicks(m.proc.pid) - ticks0[i]);
  const instr = [];
  if (perfs) {
    for (const p of perfs) {
      p.kill('SIGINT');
      await new Promise((res) => p.once('close', res));
      instr.push(Number(p.out.split('\n').find((l) => l.includes('instructions'))?.split(',')[0]));
    }
  }
  if (rec) {
    rec.kill('SIGINT');
    await new Promise((res) => rec.once('close', res));
  }
  const after = await Promise.all(members.map(metrics));
  const rps = /Requests\/sec:\s*([\d.]+)/.exec(r.stdout)?.[1] ?? '?';
  const pct = (p) => new RegExp(`\\n\\s*${p}% in ([\\d.]+) secs`).exec(r.stdout)?.[1] ?? '?';
  const [p50, p90, p95, p99] = [pct(50), pct(90), pct(95), pct(99)];
  const us = (t) => ((t / TICK) * 1e6) / N;
  const order = members.map((m, i) => i).sort((a, b) => after[b].isLeader - after[a].isLeader);
  const parts = order.map((i) => {
    const role = after[i].isLeader === 1 ? 'leader' : 'follower';
    const fs = after[i].fsyncs - before[i].fsyncs;
    const ap = after[i].applied - before[i].applied;
    const ki = perfs ? ` ${(instr[i] / N / 1000).toFixed(0)}ki` : '';
    const fsMs = ((after[i].fsyncSecs - before[i].fsyncSecs) / fs) * 1000;
    const slow = fs - (after[i].fsyncsLe4ms - before[i].fsyncsLe4ms);
    return `${role} ${us(ticks[i]).toFixed(0)}us${ki} puts/fsync ${(ap / fs).toFixed(1)} fsync ${fsMs.toFixed(2)}ms >4ms ${((slow / fs) * 100).toFixed(2)}%`;
  });
  const total = us(ticks.reduce((a, b) => a + b, 0));
  const li = order[0];
  const sentPerPut = (after[li].sent - before[li].sent) / N;
  console.log(
    `${opt.kind} put3 total ${total.toFixed(0)} us/put${perfs ? ` ${(instr.reduce((a, b) => a + b, 0) / N / 1000).toFixed(0)}ki` : ''} | ${parts.join(' | ')} | leader sent ${sentPerPut.toFixed(0)} B/put | rps ${rps} p50 ${p50}s p90 ${p90} p95 ${p95} p99 ${p99}s wall ${secs.toFixed(1)}s${r.status ? ' EXIT ' + r.status + ' ' + r.stderr.slice(0, 200) : ''}`,
  );
}
await Promise.all(members.map((m) => new Promise((res) => (m.proc.once('exit', res), m.proc.kill('SIGINT')))));
rmSync(dir, { recursive: true, force: true });
