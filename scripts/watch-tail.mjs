#!/usr/bin/env node
// Where watch-latency's tail comes from: runs `benchmark watch-latency`'s workload (watchers on
// one key over --streams streams, serial puts at --rate/s whose value carries the put's index)
// against a fresh 1-member etcd-ts or real etcd, records every event's latency (put sent ->
// event received) and every put's own latency, and lines the slow events up with what happened
// in the member and in this client around them: GC pauses and event-loop stalls (recorded by
// scripts/lib/tail-probe.mjs, preloaded into etcd-ts and into this process). A tool, not a test.
//
//   node scripts/watch-tail.mjs [--kind ours|real] [--puts 500] [--rate 100] [--streams 10]
//       [--per-stream 10] [--runs 1] [--node-flags "--max-semi-space-size=16"]
//       [--root DIR: the etcd-ts checkout whose bin/etcd runs, for A/B runs against another build]
//       [--instr 1: the member's user-space instructions per put (perf stat), steady under load]
//       [--syscalls 1: the member's fsync/fdatasync/write counts per put (strace -c), slows it]
//       [--stall-period 2: the member's stall probe period in ms; 0 turns it off, for CPU A/B runs]
//
// Each WatchResponse is decoded with the generated codec, as bin/benchmark does; its arrival
// time is taken once per data chunk, before decoding, so decoding does not add to latencies.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, rmSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { H2Conn, METHODS } from '../dist/src/benchmark/h2-grpc.js';
import { benchKey, encodePut, encodeWatchCreate } from '../dist/src/benchmark/wire.js';
import { WatchResponse } from '../dist/src/gen/etcdserverpb/rpc.js';
import { cpuTicks, freePort, healthy, memberArgs, parseFlags, sleep } from './lib/local-members.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const opt = parseFlags({ kind: 'ours', puts: 500, rate: 100, streams: 10, 'per-stream': 10, runs: 1, 'node-flags': '', keep: 0, root: ROOT, 'stall-period': 2, instr: 0, syscalls: 0 });

// This process records its own GC and stalls too (the probe writes to TAIL_PROBE_OUT).
const dir = mkdtempSync(join(os.tmpdir(), 'watch-tail-'));
const clientProbe = join(dir, 'client-probe.jsonl');
const serverProbe = join(dir, 'server-probe.jsonl');
process.env.TAIL_PROBE_OUT = clientProbe;
await import('./lib/tail-probe.mjs');

async function startMember() {
  const ports = { client: await freePort(), peer: await freePort() };
  const args = memberArgs({ name: 'm0', dataDir: join(dir, 'data'), ports, initialCluster: `m0=http://127.0.0.1:${ports.peer}` });
  const nodeFlags = opt['node-flags'].split(' ').filter(Boolean);
  const proc =
    opt.kind === 'ours'
      ? spawn(process.execPath, [...nodeFlags, '--import', join(ROOT, 'scripts/lib/tail-probe.mjs'), join(opt.root, 'bin/etcd'), ...args], {
          // --node-flags tracing (--trace-gc, --trace-deopt) prints to stdout: kept in member-stdout.txt (see --keep).
          stdio: ['ignore', openSync(join(dir, 'member-stdout.txt'), 'w'), 'inherit'],
          env: { ...process.env, TAIL_PROBE_OUT: serverProbe, TAIL_PROBE_PERIOD_MS: String(opt['stall-period']) },
        })
      : spawn('/usr/bin/etcd', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${ports.client}`;
  for (let i = 0; i < 150 && !(await healthy(url)); i++) await sleep(200);
  return { proc, endpoint: `127.0.0.1:${ports.client}` };
}

async function runOnce(endpoint) {
  const conn = new H2Conn(endpoint);
  await conn.waitConnected(5000);
  const key = benchKey(1, 0);
  const nw = opt.streams * opt['per-stream'];
  const putStart = new Float64Array(opt.puts);
  const putEnd = new Float64Array(opt.puts);
  const evAt = new Float64Array(opt.puts * nw); // receive time of each event, by put then order
  const evCount = new Int32Array(opt.puts);
  let total = 0;
  let allDone = () => {};
  const onIndex = (idx, now) => {
    evAt[idx * nw + evCount[idx]++] = now;
    if (++total === opt.puts * nw) allDone();
  };
  const calls = [];
  await Promise.all(
    Array.from({ length: opt.streams }, () => {
      const call = conn.bidi(METHODS.watch);
      calls.push(call);
      let created = 0;
      return new Promise((res) => {
        call.on('data', (buf) => {
          const now = performance.now();
          const r = WatchResponse.decode(buf);
          if (r.created && ++created === opt['per-stream']) res();
          for (const ev of r.events) {
            const v = ev.kv.value;
            onIndex(Buffer.from(v.buffer, v.byteOffset, v.length).readUInt32BE(0), now);
          }
        });
        for (let w = 0; w < opt['per-stream']; w++) call.write(encodeWatchCreate(key));
      });
    }),
  );
  const done = new Promise((r) => (allDone = r));
  const interval = 1000 / opt.rate;
  let next = performance.now();
  const value = Buffer.alloc(4);
  for (let i = 0; i < opt.puts; i++) {
    const now = performance.now();
    const slot = Math.max(now, next);
    next = slot + interval;
    if (slot - now >= 1) await sleep(slot - now);
    const v = Buffer.from(value);
    v.writeUInt32BE(i, 0);
    putStart[i] = performance.now();
    await new Promise((r) =>
      conn.unary(METHODS.put, encodePut(key, v), () => {
        putEnd[i] = performance.now();
        r();
      }),
    );
  }
  await Promise.race([done, sleep(10_000)]);
  for (const c of calls) c.cancel();
  conn.close();
  return { putStart, putEnd, evAt, evCount, nw };
}

/** A stall as lateness(ran on CPU/waited for a CPU) ms; the rest was blocked. */
const stallText = (r) => `${r.dur.toFixed(1)}(r${(r.run ?? 0).toFixed(1)}/w${(r.wait ?? 0).toFixed(1)})`;

/** Totals over stalls: ms late, ms ran, ms waited for a CPU. */
function stallSums(recs) {
  const lags = recs.filter((r) => r.kind === 'lag');
  const sum = (k) => lags.reduce((a, r) => a + (r[k] ?? 0), 0);
  return `${lags.length} stalls > 1 ms, ${sum('dur').toFixed(0)} ms late in all: ran ${sum('run').toFixed(0)}, waited for a CPU ${sum('wait').toFixed(0)}`;
}

/** CPU ticks per thread name (threads of one name summed) of a process. */
function threadTicks(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const key = tid === String(pid) ? `${name}(main)` : `${name}(${tid})`;
      out.set(key, (out.get(key) ?? 0) + Number(f[11]) + Number(f[12]));
      if (tid === String(pid)) out.set(`${name}(main sys)`, Number(f[12]));
      // Context switches: voluntary ones are the thread blocking (epoll, fdatasync, a futex),
      // each followed by a wake-up that on a busy machine waits for a CPU.
      const st = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const vol = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(st)?.[1] ?? 0);
      out.set('switches(all)', (out.get('switches(all)') ?? 0) + vol / 10);
      if (tid === String(pid)) out.set('switches(main)', vol / 10);
    } catch {
      // the thread ended
    }
  }
  return out;
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const f2 = (x) => x.toFixed(2);

function readProbe(file) {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

/** Probe records overlapping [a, b] (wall-clock ms). */
const overlapping = (recs, a, b) => recs.filter((r) => r.t <= b && r.t + r.dur >= a);

function analyse(run, serverRecs, clientRecs) {
  const origin = performance.timeOrigin;
  const { putStart, putEnd, evAt, evCount, nw } = run;
  const lat = [];
  const puts = [];
  const perPut = [];
  for (let i = 0; i < putStart.length; i++) {
    puts.push(putEnd[i] - putStart[i]);
    let first = Infinity;
    let last = 0;
    for (let j = 0; j < evCount[i]; j++) {
      const l = evAt[i * nw + j] - putStart[i];
      lat.push({ l, i, j });
      first = Math.min(first, l);
      last = Math.max(last, l);
    }
    perPut.push({ i, put: putEnd[i] - putStart[i], first, last });
  }
  const ls = lat.map((x) => x.l).sort((a, b) => a - b);
  const ps = [...puts].sort((a, b) => a - b);
  const firsts = perPut.map((p) => p.first).sort((a, b) => a - b);
  const spreads = perPut.map((p) => p.last - p.first).sort((a, b) => a - b);
  console.log(`events ${ls.length}/${putStart.length * nw}: p50 ${f2(pct(ls, 50))} p90 ${f2(pct(ls, 90))} p99 ${f2(pct(ls, 99))} max ${f2(ls.at(-1))} ms`);
  console.log(`puts ${ps.length}: p50 ${f2(pct(ps, 50))} p90 ${f2(pct(ps, 90))} p99 ${f2(pct(ps, 99))} max ${f2(ps.at(-1))} ms`);
  console.log(`first event of a put: p50 ${f2(pct(firsts, 50))} p99 ${f2(pct(firsts, 99))}; spread first->last event of a put: p50 ${f2(pct(spreads, 50))} p99 ${f2(pct(spreads, 99))} ms`);
  // Slow puts (whose events make the tail): what overlapped their [send, last event] window.
  const p99 = pct(ls, 99);
  const slowPuts = perPut.filter((p) => p.last >= p99);
  const causes = new Map();
  const add = (k) => causes.set(k, (causes.get(k) ?? 0) + 1);
  for (const p of slowPuts) {
    const a = origin + putStart[p.i];
    const b = a + p.last;
    const sg = overlapping(serverRecs.filter((r) => r.kind === 'gc'), a, b);
    const sl = overlapping(serverRecs.filter((r) => r.kind === 'lag'), a, b);
    const cg = overlapping(clientRecs.filter((r) => r.kind === 'gc'), a, b);
    const cl = overlapping(clientRecs.filter((r) => r.kind === 'lag'), a, b);
    const tags = [];
    if (sg.length) tags.push(`server gc ${sg.map((r) => `${r.gc} ${f2(r.dur)}`).join(',')}`);
    if (sl.length) tags.push(`server stalls ${sl.map(stallText).join(',')}`);
    if (cg.length) tags.push(`client gc ${cg.map((r) => `${r.gc} ${f2(r.dur)}`).join(',')}`);
    if (cl.length) tags.push(`client stalls ${cl.map(stallText).join(',')}`);
    add(sg.length ? 'server gc' : sl.length ? 'server stall (no gc)' : cg.length || cl.length ? 'client only' : 'nothing recorded');
    console.log(`  put ${p.i}: put ${f2(p.put)} first ev ${f2(p.first)} last ev ${f2(p.last)} ms | ${tags.join(' | ') || '-'}`);
  }
  console.log(`slow puts (last event >= p99 ${f2(p99)} ms): ${slowPuts.length}; ${[...causes].map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  const sgc = serverRecs.filter((r) => r.kind === 'gc');
  const by = (recs) => {
    const m = new Map();
    for (const r of recs) {
      const e = m.get(r.gc) ?? { n: 0, sum: 0, max: 0 };
      e.n++;
      e.sum += r.dur;
      e.max = Math.max(e.max, r.dur);
      m.set(r.gc, e);
    }
    return [...m].map(([k, e]) => `${k} n=${e.n} mean ${f2(e.sum / e.n)} max ${f2(e.max)}`).join('; ');
  };
  console.log(`server GC during run: ${by(sgc) || 'none recorded'}`);
  console.log(`server: ${stallSums(serverRecs)}`);
  console.log(`client GC: ${by(clientRecs.filter((r) => r.kind === 'gc')) || 'none'}; client: ${stallSums(clientRecs)}`);
  return { p50: pct(ls, 50), p99, putP50: pct(ps, 50), putP99: pct(ps, 99) };
}

const member = await startMember();
const results = [];
try {
  for (let r = 0; r < opt.runs; r++) {
    const t0 = Date.now();
    const ticks0 = cpuTicks(member.proc.pid);
    const threads0 = threadTicks(member.proc.pid);
    const perf = opt.instr ? spawn('perf', ['stat', '-x', ',', '-e', 'instructions:u', '-p', String(member.proc.pid)], { stdio: ['ignore', 'ignore', 'pipe'] }) : null;
    let perfOut = '';
    perf?.stderr.on('data', (d) => (perfOut += d));
    if (perf) await sleep(200);
    const trace = opt.syscalls
      ? spawn('strace', ['-f', '-c', '-e', 'trace=fsync,fdatasync,writev,write,pwrite64,epoll_wait,futex', '-p', String(member.proc.pid)], { stdio: ['ignore', 'ignore', 'pipe'] })
      : null;
    let traceOut = '';
    trace?.stderr.on('data', (d) => (traceOut += d));
    if (trace) await sleep(500);
    const run = await runOnce(member.endpoint);
    if (trace) {
      trace.kill('SIGINT');
      await new Promise((r) => trace.once('close', r));
      for (const l of traceOut.split('\n')) {
        const f = l.trim().split(/\s+/);
        if (f.length >= 5 && /^[0-9.]+$/.test(f[0])) console.log(`  syscall ${f.at(-1)}: ${(Number(f[3]) / opt.puts).toFixed(2)} per put`);
      }
    }
    let instr = '';
    if (perf) {
      perf.kill('SIGINT');
      await new Promise((r) => perf.once('close', r));
      const count = Number(perfOut.split('\n').find((l) => l.includes('instructions'))?.split(',')[0]);
      instr = `; ${(count / opt.puts / 1e6).toFixed(2)} M user instructions per put`;
    }
    const cpuMsPerPut = ((cpuTicks(member.proc.pid) - ticks0) * 10) / opt.puts;
    const threads1 = threadTicks(member.proc.pid);
    const perThread = [...threads1]
      .map(([name, t]) => [name, ((t - (threads0.get(name) ?? 0)) * 10) / opt.puts])
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([name, v]) => `${name} ${v.toFixed(2)}`)
      .join(', ');
    await sleep(700); // let the probes flush
    const within = (recs) => recs.filter((x) => x.t >= t0);
    console.log(`--- ${opt.kind} run ${r + 1}: member CPU ${cpuMsPerPut.toFixed(2)} ms per put (all threads, incl. the grace wait)${instr}; by thread: ${perThread}`);
    results.push(analyse(run, within(readProbe(serverProbe)), within(readProbe(clientProbe))));
  }
} finally {
  member.proc.kill('SIGTERM');
  await new Promise((r) => member.proc.once('exit', r));
  if (!opt.keep) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}
console.log(`summary ${opt.kind}: ` + results.map((x) => `ev p50 ${f2(x.p50)} p99 ${f2(x.p99)} put p50 ${f2(x.putP50)} p99 ${f2(x.putP99)}`).join(' || '));
process.exit(0);
