#!/usr/bin/env node
// `npm run bench`: real etcd (/usr/bin/etcd) and etcd-ts (bin/etcd) side by side with identical
// flags on fresh data dirs, runs alternating real, ours, real, ours; prints one table (QPS,
// p50/p99, ours/real ratio) and saves it to docs/benchmark-results.md. A benchmark, not a test.
//
// Before the measured runs every cluster, real and ours alike, serves each workload once at
// --warmup times its size, unmeasured: a member in production has long since compiled its hot
// paths, while a fresh Node process runs its first few thousand requests in the interpreter
// and spends more CPU on V8's optimising compiler than on the requests (--warmup 0 measures
// cold processes).
//
// The request workloads then run once more through etcd's own Go client (clientv3, built from
// Debian's golang-etcd-server-dev: scripts/go-clientv3-bench), alternating the same way, as a
// cross-check that the ratios are the servers' and not our Node client's; a second table.
//
//   node scripts/bench.mjs [--keys 1000000] [--reps 2] [--members 1,3] [--scale 1] [--warmup 0.25] [--no-rss] [--no-go]
import { spawn, execSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from '../dist/src/benchmark/flags.js';
import { runBenchmark } from '../dist/src/benchmark/runner.js';
import { percentiles } from '../dist/src/benchmark/report.js';
import { freePort, healthy, memberArgs, metricSample, parseFlags, sleep } from './lib/local-members.mjs';
import { buildGoClientBench, runGoClientBench } from './lib/go-clientv3-bench.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const opt = { keys: 1_000_000, reps: 2, members: '1,3', scale: 1, warmup: 0.25, rss: true, go: true };
const argv = process.argv.slice(2);
parseFlags(opt, argv, { '--no-rss': (o) => (o.rss = false), '--no-go': (o) => (o.go = false) });

if (!existsSync('/usr/bin/etcd')) {
  console.error('installing etcd-server (apt-get) for /usr/bin/etcd');
  execSync('apt-get install -y etcd-server', { stdio: 'inherit' });
}


/** Starts an n-member cluster of one kind on loopback; rejects if it is not healthy in time. */
async function startCluster(kind, n) {
  const dir = mkdtempSync(join(os.tmpdir(), `bench-${kind}-`));
  const ports = [];
  for (let i = 0; i < n; i++) ports.push({ client: await freePort(), peer: await freePort() });
  const initial = ports.map((p, i) => `m${i}=http://127.0.0.1:${p.peer}`).join(',');
  const procs = ports.map((p, i) => {
    const args = memberArgs({ name: `m${i}`, dataDir: join(dir, `m${i}`), ports: p, initialCluster: initial, token: `bench-${kind}` });
    const cmd = kind === 'ours' ? process.execPath : '/usr/bin/etcd';
    const proc = spawn(cmd, kind === 'ours' ? [join(ROOT, 'bin', 'etcd'), ...args] : args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (c) => (err = (err + c).slice(-4000)));
    return { proc, url: `http://127.0.0.1:${p.client}`, endpoint: `127.0.0.1:${p.client}`, stderr: () => err };
  });
  const cluster = { kind, n, dir, procs, endpoints: procs.map((p) => p.endpoint).join(',') };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (procs.some((p) => p.proc.exitCode !== null)) break;
    if ((await Promise.all(procs.map((p) => healthy(p.url)))).every(Boolean)) return cluster;
    await sleep(200);
  }
  const why = procs.map((p) => p.stderr().split('\n').filter(Boolean).slice(-2).join(' | ')).join(' || ');
  await stopCluster(cluster);
  throw new Error(`${kind} ${n}-member cluster did not become healthy: ${why.slice(0, 300)}`);
}

async function stopCluster(c) {
  await Promise.all(
    c.procs.map((p) => (p.proc.exitCode !== null || p.proc.signalCode !== null ? null : new Promise((r) => (p.proc.once('exit', r), p.proc.kill('SIGTERM'))))),
  );
  rmSync(c.dir, { recursive: true, force: true });
}

/** Which member (m0, m1, ...) leads right now, or '?' when none says so. */
async function leaderName(c) {
  for (let i = 0; i < c.procs.length; i++) {
    if ((await metricSample(c.procs[i].url, 'etcd_server_is_leader')) === 1) return `m${i}`;
  }
  return '?';
}

async function leaderChanges(c) {
  let sum = 0;
  for (const p of c.procs) {
    // A member gone (NaN) is counted as unknown.
    const seen = await metricSample(p.url, 'etcd_server_leader_changes_seen_total');
    if (!Number.isNaN(seen)) sum += seen;
  }
  return sum;
}

const S = opt.scale;
const scenarios = (S) => [
  { name: 'put, 1 client', argv: ['put', '--conns', '1', '--clients', '1', '--total', `${Math.round(2000 * S)}`, '--val-size', '256', '--key-space-size', '100000', '--sequential-keys'] },
  { name: 'put, 50 clients', argv: ['put', '--conns', '5', '--clients', '50', '--total', `${Math.round(20000 * S)}`, '--val-size', '256', '--key-space-size', '100000', '--sequential-keys'] },
  { name: 'range l, 50 clients', argv: ['range', 'foo', '--conns', '5', '--clients', '50', '--total', `${Math.round(20000 * S)}`, '--consistency', 'l'] },
  { name: 'range s, 50 clients', argv: ['range', 'foo', '--conns', '5', '--clients', '50', '--total', `${Math.round(20000 * S)}`, '--consistency', 's'] },
  { name: 'txn-put, 50 clients', argv: ['txn-put', '--conns', '5', '--clients', '50', '--total', `${Math.round(20000 * S)}`, '--val-size', '256', '--key-space-size', '100000'] },
  { name: 'watch-latency', argv: ['watch-latency', '--streams', '10', '--watchers-per-stream', '10', '--put-total', `${Math.round(500 * S)}`, '--put-rate', '100'] },
  { name: 'lease-keepalive, 50 clients', argv: ['lease-keepalive', '--conns', '5', '--clients', '50', '--total', `${Math.round(20000 * S)}`] },
];
const SCENARIOS = scenarios(S);
// The workloads the Go client cross-checks (its main.go knows these four requests).
const GO_SCENARIOS = [
  { name: 'put, 1 client', go: { workload: 'put', conns: 1, clients: 1, total: Math.round(2000 * S) } },
  { name: 'put, 50 clients', go: { workload: 'put', conns: 5, clients: 50, total: Math.round(20000 * S) } },
  { name: 'range l, 50 clients', go: { workload: 'range-l', conns: 5, clients: 50, total: Math.round(20000 * S) } },
  { name: 'range s, 50 clients', go: { workload: 'range-s', conns: 5, clients: 50, total: Math.round(20000 * S) } },
  { name: 'txn-put, 50 clients', go: { workload: 'txn-put', conns: 5, clients: 50, total: Math.round(20000 * S) } },
];
const WARMUP = Number(opt.warmup) > 0 ? scenarios(S * Number(opt.warmup)) : [];

async function runOne(cluster, sc) {
  if (sc.go) return runGoClientBench(goBin, cluster.endpoints, sc.go);
  const parsed = parseArgs(['--endpoints', cluster.endpoints, ...sc.argv]);
  const t0 = Date.now();
  try {
    const { reports } = await runBenchmark(parsed, { progress: false });
    const r = reports[reports.length - 1].stats;
    const [p50, p99] = [percentiles(r.latencies, [50, 99])[0], percentiles(r.latencies, [50, 99])[1]];
    const errors = [...r.errors.values()].reduce((a, b) => a + b, 0);
    const firstErr = [...r.errors.keys()][0] ?? '';
    return { qps: r.rps, p50, p99, errors, firstErr, ok: r.latencies.length, secs: (Date.now() - t0) / 1000 };
  } catch (e) {
    return { qps: 0, p50: 0, p99: 0, errors: 1, firstErr: e.message, ok: 0, secs: (Date.now() - t0) / 1000 };
  }
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ms = (s) => (s * 1000).toFixed(2);

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

function machine() {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  let etcdVersion = '';
  try {
    etcdVersion = execSync('/usr/bin/etcd --version', { encoding: 'utf8' }).split('\n')[0];
  } catch {}
  return `${os.availableParallelism()} CPUs (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${os.release()}, Node ${process.version}, ${etcdVersion}; load average at the end ${load} (shared machine)`;
}

const rows = [];
const rssNotes = [];
const leaderNotes = [];
const log = (s) => process.stderr.write(s + '\n');
let goBin = null;
let goNote = opt.go ? '' : 'skipped (--no-go)';
if (opt.go) {
  try {
    goBin = buildGoClientBench(log);
  } catch (e) {
    goNote = `not run: the Go client could not be built (${String(e.stderr ?? e.message).trim().split('\n').slice(-2).join(' | ').slice(0, 300)})`;
    log(`! ${goNote}`);
  }
}
for (const n of String(opt.members).split(',').map(Number)) {
  const clusters = {};
  for (const kind of ['real', 'ours']) {
    try {
      clusters[kind] = await startCluster(kind, n);
    } catch (e) {
      log(`! ${e.message}`);
      clusters[kind] = null;
    }
  }
  for (const sc of WARMUP) {
    for (const kind of ['real', 'ours']) if (clusters[kind]) await runOne(clusters[kind], sc);
  }
  if (WARMUP.length > 0) log(`${n}m warmed up (each workload at ${opt.warmup} of its size, unmeasured)`);
  if (n > 1) {
    // A 1-client workload's one connection goes to the first endpoint, m0: through a
    // follower a write takes one more hop than through the leader, and elections decide
    // which it is, separately for each side.
    const leaders = {};
    for (const k of ['real', 'ours']) leaders[k] = clusters[k] ? await leaderName(clusters[k]) : 'n/a';
    leaderNotes.push(`${n} members: leader after the warm-up real ${leaders.real}, ours ${leaders.ours}; bin/benchmark's 1-client workloads connect to m0.`);
    log(leaderNotes.at(-1));
  }
  const lcBefore = {};
  for (const k of ['real', 'ours']) lcBefore[k] = clusters[k] ? await leaderChanges(clusters[k]) : NaN;
  for (const sc of [...SCENARIOS, ...(goBin ? GO_SCENARIOS : [])]) {
    const res = { real: [], ours: [] };
    for (let rep = 0; rep < opt.reps; rep++) {
      for (const kind of ['real', 'ours']) {
        if (!clusters[kind]) continue;
        const r = await runOne(clusters[kind], sc);
        log(`${n}m ${sc.go ? 'Go client ' : ''}${sc.name} ${kind} #${rep + 1}: ${r.qps.toFixed(0)} req/s p50 ${ms(r.p50)} ms p99 ${ms(r.p99)} ms errors ${r.errors} ${r.firstErr.slice(0, 100)}`);
        res[kind].push(r);
      }
    }
    rows.push({ members: n, name: sc.name, res, go: Boolean(sc.go) });
  }
  const lc = {};
  for (const k of ['real', 'ours']) lc[k] = clusters[k] ? (await leaderChanges(clusters[k])) - lcBefore[k] : NaN;
  rows.push({ members: n, name: 'leader changes during runs', special: lc });
  if (opt.rss && n === 1) {
    const rss = {};
    for (const kind of ['real', 'ours']) {
      const c = clusters[kind];
      if (!c) continue;
      const load = await runOne(c, {
        argv: ['put', '--conns', '5', '--clients', '50', '--total', `${opt.keys}`, '--val-size', '256', '--key-space-size', `${opt.keys}`, '--sequential-keys'],
      });
      const proc = c.procs[0].proc;
      if (proc.exitCode !== null || proc.signalCode !== null) {
        // The member died under the load: say so (and why) instead of losing the whole table.
        rss[kind] = NaN;
        rssNotes.push(`${kind} exited (${proc.exitCode ?? proc.signalCode}) while loading ${opt.keys} keys: ${c.procs[0].stderr().trim().split('\n').slice(-3).join(' | ').slice(0, 400)}`);
        log(`! ${rssNotes.at(-1)}`);
      } else {
        rss[kind] = rssKiB(proc.pid);
        log(`rss ${kind} after ${opt.keys} keys: ${rss[kind]} KiB (load ${load.qps.toFixed(0)} req/s, errors ${load.errors})`);
      }
    }
    rows.push({ members: n, name: `RSS after ${opt.keys} keys x 256 B (MiB)`, special: rss, rss: true });
  }
  for (const k of ['real', 'ours']) if (clusters[k]) await stopCluster(clusters[k]);
}

// Tables: mean over repetitions of QPS, p50 and p99 per side, and ours/real QPS ratio; the
// Go client's rows get a table of their own, so the first one's geometric mean stays the
// bin/benchmark figure the targets are stated in.
const cell = (rs) => {
  if (!rs || rs.length === 0) return ['n/a', 'n/a', 'n/a'];
  const errs = rs.reduce((a, r) => a + r.errors, 0);
  if (rs.every((r) => r.ok === 0)) return [`errors: ${errs}`, '-', '-'];
  const q = mean(rs.map((r) => r.qps)).toFixed(0) + (errs ? ` (${errs} errors)` : '');
  return [q, ms(mean(rs.map((r) => r.p50))), ms(mean(rs.map((r) => r.p99)))];
};

function tableOf(rows) {
  const ratios = [];
  const lines = [
    '| members | workload | real QPS | real p50 ms | real p99 ms | ours QPS | ours p50 ms | ours p99 ms | ours/real QPS |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    if (row.special) {
      const f = (v) => (v === undefined || Number.isNaN(v) ? 'n/a' : row.rss ? (v / 1024).toFixed(0) : String(v));
      const ratio = row.rss && row.special.real && row.special.ours ? (row.special.ours / row.special.real).toFixed(2) : '';
      lines.push(`| ${row.members} | ${row.name} | ${f(row.special.real)} | | | ${f(row.special.ours)} | | | ${ratio} |`);
      continue;
    }
    const real = cell(row.res.real);
    const ours = cell(row.res.ours);
    const okReal = row.res.real.some((r) => r.ok > 0);
    const okOurs = row.res.ours.some((r) => r.ok > 0);
    let ratio = 'n/a';
    if (okReal && okOurs) {
      const x = mean(row.res.ours.map((r) => r.qps)) / mean(row.res.real.map((r) => r.qps));
      ratios.push(x);
      ratio = x.toFixed(2);
    }
    lines.push(`| ${row.members} | ${row.name} | ${real.join(' | ')} | ${ours.join(' | ')} | ${ratio} |`);
  }
  const geo = ratios.length ? Math.exp(mean(ratios.map(Math.log))) : NaN;
  lines.push('', `Geometric mean of ours/real QPS ratios (${ratios.length} rows): ${Number.isNaN(geo) ? 'n/a' : geo.toFixed(3)}`);
  return lines;
}

const lines = tableOf(rows.filter((r) => !r.go));
for (const n of rssNotes) lines.push('', `Note: ${n}`);
for (const n of leaderNotes) lines.push('', n);
lines.push('', "### The same servers driven by etcd's Go client (clientv3, scripts/go-clientv3-bench)", '');
if (goBin) lines.push(...tableOf(rows.filter((r) => r.go)));
else lines.push(`Go client cross-check ${goNote}.`);
const table = lines.join('\n');
const desc = machine();
process.stdout.write(`\n${table}\n\nMachine: ${desc}\n`);

const docPath = join(ROOT, 'docs', 'benchmark-results.md');
const prev = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '';
const marker = '<!-- latest npm run bench results: replaced on every run -->';
const endMarker = '<!-- end of latest results -->';
const block = `${marker}\n## Latest \`npm run bench\` (${new Date().toISOString()})\n\nMachine: ${desc}.\nEach cell is the mean of ${opt.reps} runs, alternating real, ours, real, ours, ${WARMUP.length > 0 ? `after each cluster served every workload once at ${opt.warmup} of its size, unmeasured` : 'on cold processes (no warm-up)'}; options: ${argv.join(' ') || '(defaults)'}.\n\n${table}\n${endMarker}`;
const next = prev.includes(marker)
  ? prev.replace(new RegExp(`${marker}[\\s\\S]*?${endMarker}`), block)
  : `# etcd-ts benchmark results\n\n${block}\n${prev}`;
writeFileSync(docPath, next);
log(`saved ${docPath}`);
