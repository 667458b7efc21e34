#!/usr/bin/env node
// Resident memory of one member after a bulk load: starts a 1-member cluster of real etcd
// (/usr/bin/etcd) or etcd-ts with the flags bench.mjs uses, loads N keys as `npm run bench`
// does (put, 5 conns, 50 clients, 256 B values, sequential keys), and prints VmRSS split into
// anonymous and file-backed (the LMDB / bbolt map) pages; for etcd-ts also the V8 heap
// (used vs committed per space) and external memory. Sides alternate when both are asked for.
//
//   node scripts/rss-at-keys.mjs [--keys 200000] [--kinds real,ours,real,ours] [--node-flags "..."]
//     [--gc 1: full GC (--expose-gc) before the breakdown] [--snapshot file.heapsnapshot]
//     [--trace MS: VmRSS/RssAnon every MS during the load] [--idle MS: VmRSS every 5 s for MS after it;
//     the heap breakdown is then taken after the idle time]
//     [--stdout FILE: the member's stdout, e.g. with --node-flags --trace-gc-nvp]
import { spawn } from 'node:child_process';
import { openSync, mkdtempSync, rmSync, readFileSync, existsSync, statSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from '../dist/src/benchmark/flags.js';
import { runBenchmark } from '../dist/src/benchmark/runner.js';
import { cpuTicks, freePort, healthy, memberArgs, parseFlags, sleep } from './lib/local-members.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const opt = { keys: 200_000, kinds: 'ours', 'node-flags': '', gc: 0, snapshot: '', trace: 0, stdout: '', idle: 0 };
parseFlags(opt);
const MiB = (b) => (b / 2 ** 20).toFixed(1);

/** kB figures of /proc/<pid>/smaps summed per kind: anonymous, the db file, other files. */
function smaps(pid) {
  const text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const sum = { anon: 0, db: 0, otherFile: 0 };
  let kind = 'anon';
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const path = head[1];
      kind = !path || path.startsWith('[') ? 'anon' : /\/(db|bolt\.db)$/.test(path) || path.includes('/snap/db') ? 'db' : 'otherFile';
      continue;
    }
    const m = /^Rss:\s+(\d+) kB/.exec(line);
    if (m) sum[kind] += Number(m[1]) * 1024;
  }
  return sum;
}

function vmRss(pid, field = 'VmRSS') {
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
}

async function measure(kind) {
  const dir = mkdtempSync(join(os.tmpdir(), `rss-${kind}-`));
  const ports = { client: await freePort(), peer: await freePort() };
  const args = memberArgs({ name: 'm0', dataDir: join(dir, 'm0'), ports, initialCluster: `m0=http://127.0.0.1:${ports.peer}`, token: `rss-${kind}` });
  const probeOut = join(dir, 'probe.json');
  const nodeFlags = opt['node-flags'].split(' ').filter(Boolean);
  const proc =
    kind === 'ours'
      ? spawn(process.execPath, [...nodeFlags, ...(opt.gc ? ['--expose-gc'] : []), '--import', join(ROOT, 'scripts/lib/mem-probe.mjs'), join(ROOT, 'bin', 'etcd'), ...args], {
          stdio: ['ignore', opt.stdout ? openSync(opt.stdout, 'w') : 'ignore', 'pipe'],
          env: { ...process.env, ETCD_TS_MEM_PROBE_OUT: probeOut, ETCD_TS_MEM_PROBE_GC: opt.gc ? '1' : '0', ...(opt.snapshot ? { ETCD_TS_MEM_PROBE_SNAPSHOT: resolve(opt.snapshot) } : {}) },
        })
      : spawn('/usr/bin/etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (c) => (err = (err + c).slice(-4000)));
  const url = `http://127.0.0.1:${ports.client}`;
  try {
    const deadline = Date.now() + 30_000;
    while (!(await healthy(url))) {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`${kind} not healthy: ${err.slice(-300)}`);
      await sleep(200);
    }
    const t0 = cpuTicks(proc.pid);
    // --trace MS: VmRSS every MS during the load, to see how far the end-of-load figure is from the run's course.
    const trace = [];
    const tracer = opt.trace ? setInterval(() => trace.push(`${Math.round(vmRss(proc.pid) / 2 ** 20)}/${Math.round(vmRss(proc.pid, 'RssAnon') / 2 ** 20)}`), opt.trace) : undefined;
    const parsed = parseArgs(['--endpoints', `127.0.0.1:${ports.client}`, 'put', '--conns', '5', '--clients', '50', '--total', `${opt.keys}`, '--val-size', '256', '--key-space-size', `${opt.keys}`, '--sequential-keys']);
    const { reports } = await runBenchmark(parsed, { progress: false });
    const st = reports[reports.length - 1].stats;
    const errors = [...st.errors.values()].reduce((a, b) => a + b, 0);
    const cpu = cpuTicks(proc.pid) - t0;
    if (tracer) clearInterval(tracer);
    const rss = vmRss(proc.pid);
    const sm = smaps(proc.pid);
    let line = `${kind} keys ${opt.keys}: VmRSS ${MiB(rss)} MiB (peak ${MiB(vmRss(proc.pid, 'VmHWM'))}; anon ${MiB(sm.anon)}, db map ${MiB(sm.db)}, other files ${MiB(sm.otherFile)}); load ${st.rps.toFixed(0)} req/s, errors ${errors}, cpu ${(cpu / 100).toFixed(1)} s`;
    if (opt.idle) {
      // What an operator sees once the load has stopped: RSS after --idle ms without requests.
      const idleTrace = [];
      for (let t = 0; t < opt.idle; t += 5000) {
        await sleep(5000);
        idleTrace.push(Math.round(vmRss(proc.pid) / 2 ** 20));
      }
      line += `\n  idle: VmRSS MiB every 5 s after the load: ${idleTrace.join(' ')}`;
    }
    if (trace.length) {
      const total = trace.map((x) => Number(x.split('/')[0]));
      line += `\n  VmRSS/RssAnon MiB every ${opt.trace} ms (mean VmRSS ${(total.reduce((a, b) => a + b, 0) / total.length).toFixed(0)}, last half ${(total.slice(total.length >> 1).reduce((a, b) => a + b, 0) / (total.length - (total.length >> 1))).toFixed(0)}): ${trace.join(' ')}`;
    }
    if (kind === 'real') {
      // Go's own account of its heap, for comparing like with like.
      const text = await (await fetch(`${url}/metrics`)).text();
      const g = (name) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
      line += `\n  go heap: alloc ${MiB(g('go_memstats_heap_alloc_bytes'))} inuse ${MiB(g('go_memstats_heap_inuse_bytes'))} idle ${MiB(g('go_memstats_heap_idle_bytes'))} released ${MiB(g('go_memstats_heap_released_bytes'))} sys ${MiB(g('go_memstats_sys_bytes'))}`;
    }
    if (kind === 'ours') {
      proc.kill('SIGUSR2');
      const d2 = Date.now() + 10_000;
      while (!existsSync(probeOut) && Date.now() < d2) await sleep(100);
      await sleep(200);
      if (opt.snapshot) {
        // the snapshot is written after the JSON; wait until its size stops changing
        let last = -1;
        for (;;) {
          await sleep(1000);
          const size = existsSync(opt.snapshot) ? statSync(opt.snapshot).size : 0;
          if (size > 0 && size === last) break;
          last = size;
        }
      }
      const p = JSON.parse(readFileSync(probeOut, 'utf8'));
      const mu = p.memoryUsage;
      line += `\n  heapUsed ${MiB(mu.heapUsed)} heapTotal ${MiB(mu.heapTotal)} external ${MiB(mu.external)} arrayBuffers ${MiB(mu.arrayBuffers)}`;
      if (p.afterGc) line += `\n  after full GC: heapUsed ${MiB(p.afterGc.heapUsed)} heapTotal ${MiB(p.afterGc.heapTotal)} arrayBuffers ${MiB(p.afterGc.arrayBuffers)}, RSS ${MiB(p.afterGc.rss)}`;
      for (const s of p.spaces) if (s.size > 2 ** 20) line += `\n    ${s.name}: committed ${MiB(s.size)} used ${MiB(s.used)} physical ${MiB(s.physical)}`;
      line += `\n  malloced ${MiB(p.heap.malloced_memory)} peak malloced ${MiB(p.heap.peak_malloced_memory)}`;
    }
    return line;
  } finally {
    if (proc.exitCode === null) await new Promise((r) => (proc.once('exit', r), proc.kill('SIGTERM')));
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const kind of opt.kinds.split(',')) console.log(await measure(kind));
