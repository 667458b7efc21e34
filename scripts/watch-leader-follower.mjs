#!/usr/bin/env node
// Whether `npm run bench`'s 3-member watch-latency cell depends on which member its one
// connection lands on. bench.mjs runs watch-latency with --conns 1, so every watcher and
// every put goes to the first endpoint, m0; m0 is the leader only when it won the first
// election, which differs from cluster to cluster and between ours and real etcd. On a
// follower a put is forwarded to the leader, and the event leaves only once the follower
// has heard of the commit and applied the entry. This starts one 3-member cluster of the
// given kind and runs the same workload alternately against the leader and a follower.
// A tool, not a test.
//
//   node scripts/watch-leader-follower.mjs [--kind ours|real] [--reps 3] [--puts 500] [--root DIR] [--members 3]
// At the end it prints each member's WAL fdatasync histogram (etcd_disk_wal_fsync_duration_seconds).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, healthy, memberArgs, parseFlags, sleep } from './lib/local-members.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const opt = parseFlags({ kind: 'ours', reps: 3, puts: 500, root: ROOT, members: 3 });
const { parseArgs } = await import(join(opt.root, 'dist/src/benchmark/flags.js'));
const { runBenchmark } = await import(join(opt.root, 'dist/src/benchmark/runner.js'));
const { percentiles } = await import(join(opt.root, 'dist/src/benchmark/report.js'));

const dir = mkdtempSync(join(os.tmpdir(), `wlf-${opt.kind}-`));
const ports = [];
for (let i = 0; i < opt.members; i++) ports.push({ client: await freePort(), peer: await freePort() });
const initial = ports.map((p, i) => `m${i}=http://127.0.0.1:${p.peer}`).join(',');
const procs = ports.map((p, i) => {
  const args = memberArgs({ name: `m${i}`, dataDir: join(dir, `m${i}`), ports: p, initialCluster: initial, token: `wlf-${opt.kind}` });
  const cmd = opt.kind === 'ours' ? process.execPath : '/usr/bin/etcd';
  return spawn(cmd, opt.kind === 'ours' ? [join(opt.root, 'bin', 'etcd'), ...args] : args, { stdio: ['ignore', 'ignore', 'ignore'] });
});
const urls = ports.map((p) => `http://127.0.0.1:${p.client}`);
try {
  for (let i = 0; i < 150 && !(await Promise.all(urls.map(healthy))).every(Boolean); i++) await sleep(200);
  const status = JSON.parse(execFileSync('/usr/bin/etcdctl', ['--endpoints', urls.join(','), 'endpoint', 'status', '-w', 'json'], { encoding: 'utf8' }));
  const leaderId = status[0].Status.leader;
  const leader = status.findIndex((s) => s.Status.header.member_id === leaderId);
  const follower = (leader + 1) % opt.members;
  const run = async (i) => {
    const argv = ['--endpoints', `127.0.0.1:${ports[i].client}`, 'watch-latency', '--streams', '10', '--watchers-per-stream', '10', '--put-total', String(opt.puts), '--put-rate', '100'];
    const { reports } = await runBenchmark(parseArgs(argv), { progress: false });
    const lat = reports[reports.length - 1].stats.latencies;
    const [p50, p99] = percentiles(lat, [50, 99]);
    return { p50: p50 * 1000, p99: p99 * 1000 };
  };
  // Unmeasured warm-up on both, as bench.mjs warms up.
  await run(leader);
  if (follower !== leader) await run(follower);
  for (let r = 0; r < opt.reps; r++) {
    for (const [role, i] of follower === leader ? [['leader', leader]] : [['leader', leader], ['follower', follower]]) {
      const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
      const x = await run(i);
      console.log(`${opt.kind} ${role} (m${i}) rep ${r + 1}: p50 ${x.p50.toFixed(2)} p99 ${x.p99.toFixed(2)} ms | load ${load}`);
    }
  }
  // Each member's WAL fdatasync durations over the whole run (same histogram in both).
  for (const [i, url] of urls.entries()) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const b = [...text.matchAll(/^etcd_disk_wal_fsync_duration_seconds_bucket\{le="([^"]+)"\} (\S+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    console.log(`${opt.kind} m${i} wal fsync buckets ${b.join(' ')}`);
  }
} finally {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
  await sleep(500);
  rmSync(dir, { recursive: true, force: true });
}
