#!/usr/bin/env node
// CPU per forwarded lease keep-alive: starts a 3-member cluster (ours or real etcd) on loopback,
// points every benchmark client at the two followers only (so each keep-alive is forwarded to
// the leader over the peer port), and prints each member's utime+stime delta (/proc/<pid>/stat)
// per keep-alive, plus the number of TCP connections to the leader's peer port seen mid-run.
// A measuring tool, not a test.
//
//   node scripts/lease-forward-cpu.mjs [--kind ours|real] [--total 10000] [--clients 50] [--prof DIR] [--instr 1]
// --instr 1 counts user-space instructions per keep-alive with `perf stat` (steady under load).
import { spawn, spawnSync, execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from '../dist/src/benchmark/flags.js';
import { runBenchmark } from '../dist/src/benchmark/runner.js';
import { percentiles } from '../dist/src/benchmark/report.js';
import { cpuTicks, freePort, memberArgs, metricSample, parseFlags, sleep } from './lib/local-members.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const opt = { kind: 'ours', total: 10000, clients: 50, prof: '', instr: '' };
parseFlags(opt);




const dir = mkdtempSync(join(os.tmpdir(), 'lease-fwd-'));
const ports = [];
for (let i = 0; i < 3; i++) ports.push({ client: await freePort(), peer: await freePort() });
const initial = ports.map((p, i) => `m${i}=http://127.0.0.1:${p.peer}`).join(',');
const members = ports.map((p, i) => {
  const args = memberArgs({ name: `m${i}`, dataDir: join(dir, `m${i}`), ports: p, initialCluster: initial, token: 'lease-fwd' });
  const nodeArgs = opt.prof ? ['--cpu-prof', `--cpu-prof-dir=${opt.prof}`, `--cpu-prof-name=m${i}.cpuprofile`] : [];
  const proc = opt.kind === 'ours' ? spawn(process.execPath, [...nodeArgs, join(ROOT, 'bin', 'etcd'), ...args], { stdio: 'ignore' }) : spawn('/usr/bin/etcd', args, { stdio: 'ignore' });
  return { proc, url: `http://127.0.0.1:${p.client}`, endpoint: `127.0.0.1:${p.client}`, peer: p.peer };
});

try {
  let leader = -1;
  const deadline = Date.now() + 30_000;
  while (leader < 0 && Date.now() < deadline) {
    for (let i = 0; i < 3; i++) if ((await metricSample(members[i].url, 'etcd_server_is_leader', 2000)) === 1) leader = i;
    if (leader < 0) await sleep(200);
  }
  if (leader < 0) throw new Error('no leader');
  await sleep(500);
  const followers = members.filter((_, i) => i !== leader);
  const endpoints = followers.map((m) => m.endpoint).join(',');
  const conns = Math.max(1, Math.round(opt.clients / 10));
  const parsed = parseArgs(['--endpoints', endpoints, 'lease-keepalive', '--conns', `${conns}`, '--clients', `${opt.clients}`, '--total', `${opt.total}`]);
  const perf = opt.instr
    ? members.map((m) => spawn('perf', ['stat', '-x', ',', '-e', 'instructions:u', '-p', String(m.proc.pid)], { stdio: ['ignore', 'ignore', 'pipe'] }))
    : [];
  const perfOut = perf.map((p) => {
    let s = '';
    p.stderr.on('data', (c) => (s += c));
    return () => s;
  });
  const before = members.map((m) => cpuTicks(m.proc.pid));
  let sockets = '';
  const probe = setTimeout(() => {
    try {
      const out = execSync('ss -tnH state established', { encoding: 'utf8' });
      const peer = `127.0.0.1:${members[leader].peer}`;
      const n = out.split('\n').filter((l) => l.trim().split(/\s+/)[3] === peer).length;
      sockets = `${n} established connections to the leader's peer port mid-run (raft streams included)`;
    } catch (e) {
      sockets = `ss failed: ${e.message}`;
    }
  }, 1500);
  const t0 = Date.now();
  const { reports } = await runBenchmark(parsed, { progress: false });
  const secs = (Date.now() - t0) / 1000;
  clearTimeout(probe);
  const after = members.map((m) => cpuTicks(m.proc.pid));
  for (const p of perf) p.kill('SIGINT');
  await Promise.all(perf.map((p) => new Promise((r) => p.once('exit', r))));
  const stats = reports[reports.length - 1].stats;
  const n = stats.latencies.length;
  const [p50, p99] = percentiles(stats.latencies, [50, 99]);
  const errs = [...stats.errors.entries()].map(([k, v]) => `${k} x${v}`).join('; ');
  console.log(`${opt.kind}: ${n} keep-alives via followers in ${secs.toFixed(1)} s, ${stats.rps.toFixed(0)} QPS, p50 ${(p50 * 1000).toFixed(2)} ms, p99 ${(p99 * 1000).toFixed(2)} ms${errs ? `, errors: ${errs}` : ''}; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (sockets) console.log(sockets);
  for (let i = 0; i < 3; i++) {
    const us = ((after[i] - before[i]) * 10_000) / n; // ticks are 10 ms
    let line = `  ${i === leader ? 'leader  ' : 'follower'} m${i}: ${us.toFixed(1)} us CPU per keep-alive`;
    if (opt.instr) {
      const m = /^([\d.]+),/m.exec(perfOut[i]());
      if (m) line += `, ${(Number(m[1]) / n / 1000).toFixed(1)} k instructions:u per keep-alive`;
    }
    console.log(line);
  }
} finally {
  await Promise.all(members.map((m) => new Promise((r) => (m.proc.exitCode !== null ? r() : (m.proc.once('exit', r), m.proc.kill('SIGINT'))))));
  rmSync(dir, { recursive: true, force: true });
}
