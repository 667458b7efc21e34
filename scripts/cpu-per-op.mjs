#!/usr/bin/env node
// Server CPU time per operation: starts one member (ours or real etcd) on a fresh data dir, runs
// bin/benchmark workloads against it and prints, per workload, the server's utime+stime delta
// (from /proc/<pid>/stat) divided by the number of requests. On a shared, noisy machine this is
// far steadier than QPS. A measuring tool, not a test.
//
//   node scripts/cpu-per-op.mjs [--kind ours|real] [--prof DIR] [--total 20000] [--only put,range-s] [--instr 1]
// --instr 1 also counts the server's user-space instructions per request with `perf stat`:
// unlike CPU time, that count hardly moves when other processes share the cores.
// --warm 0 skips the warm-up run, so the first workload meets a cold (not yet JIT-compiled)
// server, as `npm run bench`'s first scenario (put, 1 client) does.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { cpuTicks, freePort, memberArgs, parseFlags, sleep } from './lib/local-members.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const opt = { kind: 'ours', prof: '', total: 20000, only: '', node: '', threads: '', instr: '', warm: 1 };
parseFlags(opt);

const TICK = os.constants ? 100 : 100; // USER_HZ on Linux

/** utime+stime per thread name, summed over threads of the same name. */
function threadTicks(pid) {
  const out = {};
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[t === String(pid) ? "main" : `${name}/${t}`] = Number(f[11]) + Number(f[12]);
      if (t === String(pid)) out["main-sys"] = Number(f[12]);
    } catch {}
  }
  return out;
}


const T = opt.total;
const WORKLOADS = [
  { name: 'put-1', n: Math.max(500, T / 10), argv: ['put', '--conns', '1', '--clients', '1', '--total', `${Math.max(500, T / 10)}`, '--val-size', '256', '--key-space-size', '100000', '--sequential-keys'] },
  { name: 'put', n: T, argv: ['put', '--conns', '5', '--clients', '50', '--total', `${T}`, '--val-size', '256', '--key-space-size', '100000', '--sequential-keys'] },
  { name: 'range-l', n: T, argv: ['range', 'foo', '--conns', '5', '--clients', '50', '--total', `${T}`, '--consistency', 'l'] },
  { name: 'range-s', n: T, argv: ['range', 'foo', '--conns', '5', '--clients', '50', '--total', `${T}`, '--consistency', 's'] },
  { name: 'txn-put', n: T, argv: ['txn-put', '--conns', '5', '--clients', '50', '--total', `${T}`, '--val-size', '256', '--key-space-size', '100000'] },
  { name: 'lease-ka', n: T, argv: ['lease-keepalive', '--conns', '5', '--clients', '50', '--total', `${T}`] },
];

const dir = mkdtempSync(join(os.tmpdir(), `cpuop-${opt.kind}-`));
const [cp, pp] = [await freePort(), await freePort()];
const args = memberArgs({ name: 'm0', dataDir: join(dir, 'data'), ports: { client: cp, peer: pp }, initialCluster: `m0=http://127.0.0.1:${pp}` });
const nodeArgs = opt.prof ? ['--cpu-prof', `--cpu-prof-dir=${opt.prof}`] : [];
if (opt.node) nodeArgs.push(...opt.node.split(' '));
const proc =
  opt.kind === 'ours'
    ? spawn(process.execPath, [...nodeArgs, join(ROOT, 'bin/etcd'), ...args], { stdio: ['ignore', 'ignore', 'inherit'] })
    : spawn('/usr/bin/etcd', args, { stdio: ['ignore', 'ignore', 'inherit'] });
const ep = `127.0.0.1:${cp}`;
for (let i = 0; ; i++) {
  try {
    const r = await fetch(`http://${ep}/health`, { signal: AbortSignal.timeout(1000) });
    if ((await r.json()).health === 'true') break;
  } catch {}
  if (i > 150) throw new Error('server not healthy');
  await sleep(200);
}
// warm up (JIT) before measuring
if (opt.warm) spawnSync(process.execPath, [join(ROOT, 'bin/benchmark'), '--endpoints', ep, 'put', '--conns', '5', '--clients', '50', '--total', '3000', '--val-size', '256', '--key-space-size', '1000'], { stdio: 'ignore' });
const only = opt.only ? opt.only.split(',') : null;
for (const w of WORKLOADS) {
  if (only && !only.includes(w.name)) continue;
  const before = cpuTicks(proc.pid);
  const threadsBefore = opt.threads ? threadTicks(proc.pid) : {};
  const perf = opt.instr ? spawn('perf', ['stat', '-x', ',', '-e', 'instructions:u', '-p', String(proc.pid)], { stdio: ['ignore', 'ignore', 'pipe'] }) : null;
  let perfOut = '';
  perf?.stderr.on('data', (d) => (perfOut += d));
  if (perf) await sleep(200);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/benchmark'), '--endpoints', ep, ...w.argv], { encoding: 'utf8' });
  const secs = (Date.now() - t0) / 1000;
  const ticks = cpuTicks(proc.pid) - before;
  const rps = /Requests\/sec:\s*([\d.]+)/.exec(r.stdout)?.[1] ?? '?';
  const p99 = /99% in ([\d.]+) secs/.exec(r.stdout)?.[1] ?? '?';
  const p50 = /50% in ([\d.]+) secs/.exec(r.stdout)?.[1] ?? '?';
  const usPerOp = ((ticks / TICK) * 1e6) / w.n;
  let instr = '';
  if (perf) {
    perf.kill('SIGINT');
    await new Promise((r) => perf.once('close', r)); // 'close': stderr fully read
    const count = Number(perfOut.split('\n').find((l) => l.includes('instructions'))?.split(',')[0]);
    instr = `  kinstr/op ${(count / w.n / 1000).toFixed(0)}`;
    if (Number.isNaN(count)) console.error(perfOut);
  }
  if (opt.threads) {
    const after = threadTicks(proc.pid);
    const parts = Object.entries(after).map(([k, v]) => [k, v - (threadsBefore[k] ?? 0)]).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).slice(0, 6);
    console.log(`  threads (us/op): ${parts.map(([k, v]) => `${k} ${(((v / TICK) * 1e6) / w.n).toFixed(0)}`).join(', ')}`);
  }
  console.log(`${opt.kind} ${w.name.padEnd(8)} cpu/op ${usPerOp.toFixed(0).padStart(5)} us${instr}  rps ${rps}  p50 ${p50}s  p99 ${p99}s  wall ${secs.toFixed(1)}s${r.status ? ' EXIT ' + r.status + ' ' + r.stderr.slice(0, 200) : ''}`);
}
proc.kill('SIGINT');
await new Promise((r) => proc.once('exit', r));
rmSync(dir, { recursive: true, force: true });
