// Diagnostic, off unless ETCD_TS_PUTTRACE=<file> is set: where each put's time goes, stage
// by stage, and what the slowest 1% waited on. Every put served by the unary fast path is
// timed from its request headers to its apply; every raft Ready from its start through its
// WAL write and fdatasync to its advance; every response from respond() to node asking for
// its trailers and to its stream's close. Beside them: event-loop delay, GC pauses (by kind)
// and loop turns longer than 3 ms. The summary is written to <file> when the process exits.
// The hooks cost one constant test each when it is off; when on it keeps every record in
// memory, so it is for benchmark runs only.

import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

const OUT = process.env.ETCD_TS_PUTTRACE;
export const TRACE = OUT !== undefined && OUT !== '';

interface PutRec {
  arrive: number; // headers seen
  end: number; // request end, handler called
  propose: number;
  proposeReady: number; // readies started when proposed
  proposeRunning: boolean; // loop running a Ready when proposed
  applied: number;
  appliedReady: number;
}
interface ReadyRec {
  start: number;
  entries: number;
  committed: number;
  early: number;
  saveReturned: number;
  earlyDone: number;
  saved: number;
  lateDone: number;
  end: number;
  fsyncMs: number;
  onLoop: boolean;
  walOps: number;
}

const puts: PutRec[] = [];
const readies: ReadyRec[] = [];
let current: ReadyRec | undefined;
let readyCount = 0;
let running = false;
export let pendingArrive = 0;
export let pendingEnd = 0;
const gcs: { start: number; ms: number; kind: number }[] = [];
const h = TRACE ? monitorEventLoopDelay({ resolution: 1 }) : undefined;
// Long synchronous stretches: measured per macrotask via setImmediate probe.
const stalls: { at: number; ms: number }[] = [];

if (TRACE) {
  h!.enable();
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: e.startTime, ms: e.duration, kind: (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0 });
  });
  obs.observe({ entryTypes: ['gc'] });
  let last = performance.now();
  const probe = (): void => {
    const now = performance.now();
    if (now - last > 3) stalls.push({ at: last, ms: now - last });
    last = now;
    setTimeout(probe, 0);
  };
  setTimeout(probe, 0);
  process.on('exit', () => writeFileSync(OUT!, summarize()));
}

const trailerDelays: number[] = [];
let lastRespond = 0;
export function noteRespond(): number { return (lastRespond = performance.now()); }
const trailerSubmit: number[] = [];
const trailerClose: number[] = [];
export function noteClose(wantAt: number): void { trailerClose.push(performance.now() - wantAt); }
export function noteTrailers(stream: { once(event: 'close', f: () => void): unknown }, respondAt: number): void {
  const t = performance.now();
  trailerDelays.push(t - respondAt);
  stream.once('close', () => noteClose(t));
  // Queued right behind node's own setImmediate that submits the trailers.
  setImmediate(() => trailerSubmit.push(performance.now() - t));
}
let elu0 = TRACE ? performance.eventLoopUtilization() : undefined;
export function noteRequest(arrive: number, end: number): void {
  pendingArrive = arrive;
  pendingEnd = end;
}

export function newPut(): PutRec {
  const r: PutRec = { arrive: pendingArrive, end: pendingEnd, propose: performance.now(), proposeReady: readyCount, proposeRunning: running, applied: 0, appliedReady: 0 };
  puts.push(r);
  return r;
}

export function putApplied(r: PutRec): void {
  r.applied = performance.now();
  r.appliedReady = readyCount;
}

export function readyStart(entries: number, committed: number, early: number): void {
  running = true;
  readyCount++;
  current = { start: performance.now(), entries, committed, early, saveReturned: 0, earlyDone: 0, saved: 0, lateDone: 0, end: 0, fsyncMs: 0, onLoop: false, walOps: 0 };
  readies.push(current);
}
export function readyMark(k: 'saveReturned' | 'earlyDone' | 'saved' | 'lateDone' | 'end'): void {
  if (current) current[k] = performance.now();
  if (k === 'end') running = false;
}
export function walFsync(ms: number, onLoop: boolean, ops: number): void {
  if (current) {
    current.fsyncMs = ms;
    current.onLoop = onLoop;
    current.walOps = ops;
  }
}

function pct(a: number[], p: number): number {
  if (a.length === 0) return NaN;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]!;
}
function stats(name: string, a: number[]): string {
  const mean = a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
  return `${name.padEnd(22)} n=${a.length} mean=${mean.toFixed(2)} p50=${pct(a, 50).toFixed(2)} p90=${pct(a, 90).toFixed(2)} p99=${pct(a, 99).toFixed(2)} max=${pct(a, 100).toFixed(2)}`;
}

function summarize(): string {
  const out: string[] = [];
  const done = puts.filter((p) => p.applied > 0 && p.arrive > 0);
  const total = done.map((p) => p.applied - p.arrive);
  out.push(stats('arrive->applied', total));
  out.push(stats('arrive->end', done.map((p) => p.end - p.arrive)));
  out.push(stats('end->propose', done.map((p) => p.propose - p.end)));
  out.push(stats('propose->applied', done.map((p) => p.applied - p.propose)));
  out.push(stats('readies waited', done.map((p) => p.appliedReady - p.proposeReady)));
  const p99 = pct(total, 99);
  const slow = done.filter((p) => p.applied - p.arrive >= p99);
  out.push(`--- slowest 1% (>= ${p99.toFixed(2)} ms) ---`);
  out.push(stats('slow arrive->end', slow.map((p) => p.end - p.arrive)));
  out.push(stats('slow end->propose', slow.map((p) => p.propose - p.end)));
  out.push(stats('slow propose->applied', slow.map((p) => p.applied - p.propose)));
  out.push(stats('slow readies waited', slow.map((p) => p.appliedReady - p.proposeReady)));
  out.push(`slow proposed while running: ${slow.filter((p) => p.proposeRunning).length}/${slow.length}`);
  const parts = (set: PutRec[], tag: string): void => {
    const A: number[] = [], B: number[] = [], C: number[] = [], D: number[] = [], F: number[] = [], E: number[] = [], G: number[] = [];
    for (const p of set) {
      const own = readies[p.proposeReady];
      const next = readies[p.proposeReady + 1];
      if (!own || !next) continue;
      A.push(own.start - p.propose);
      E.push(own.earlyDone - own.start);
      B.push(own.saved - own.earlyDone);
      F.push(own.fsyncMs);
      C.push(next.start - own.saved);
      D.push(p.applied - next.start);
      G.push(p.arrive - (readies[p.proposeReady - 1]?.start ?? 0));
    }
    out.push(stats(`${tag} A propose->ownStart`, A));
    out.push(stats(`${tag} E own write+early`, E));
    out.push(stats(`${tag} B own early->saved`, B));
    out.push(stats(`${tag}   own fsyncMs`, F));
    out.push(stats(`${tag} C saved->nextStart`, C));
    out.push(stats(`${tag} D nextStart->applied`, D));
  };
  {
    const f: number[] = [], dt: number[] = [];
    for (const p of done) {
      if (!p.proposeRunning) continue;
      const cur = readies[p.proposeReady - 1];
      if (!cur || cur.saved === 0) continue;
      dt.push(p.propose - cur.start);
      f.push((p.propose - cur.start) / Math.max(0.001, cur.saved - cur.start));
    }
    const hist = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    for (const x of f) hist[Math.min(9, Math.max(0, Math.floor(x * 10)))]!++;
    out.push(`proposed-while-running: ${f.length}/${done.length}; position in running Ready (deciles): ${hist.join(' ')}`);
    out.push(stats('propose - runningStart', dt));
    out.push(`proposed before runningReady.earlyDone: ${done.filter((p) => p.proposeRunning && readies[p.proposeReady - 1] && p.propose <= readies[p.proposeReady - 1]!.earlyDone).length}`);
  }
  parts(done, 'all');
  parts(slow, 'slow');
  const majors = gcs.filter((g) => g.kind === 4);
  const ov = (p: PutRec, s: number, ms: number): boolean => s < p.applied && s + ms > p.arrive;
  {
    const hitBy = (p: PutRec, list: { start: number; ms: number }[]): boolean => list.some((g) => ov(p, g.start, g.ms));
    const scav = gcs.filter((g) => g.kind === 1);
    const bigStall = stalls.filter((g) => g.ms >= 10).map((g) => ({ start: g.at, ms: g.ms }));
    const lat = (set: PutRec[]): number[] => set.map((p) => p.applied - p.arrive);
    const noMajor = done.filter((p) => !hitBy(p, majors));
    const noGc = noMajor.filter((p) => !hitBy(p, scav));
    const noStall = noGc.filter((p) => !hitBy(p, bigStall));
    out.push(`puts hit by major gc ${done.length - noMajor.length}, by a scavenge ${noMajor.length - noGc.length}, by another >=10ms loop stall ${noGc.length - noStall.length}`);
    out.push(stats('lat all', lat(done)));
    out.push(stats('lat w/o major gc', lat(noMajor)));
    out.push(stats('lat w/o any gc', lat(noGc)));
    out.push(stats('lat w/o gc/stall>=10', lat(noStall)));
  }
  out.push(`slow puts overlapping a major gc: ${slow.filter((p) => majors.some((g) => ov(p, g.start, g.ms))).length}/${slow.length}`);
  const rs = readies.filter((r) => r.end > 0 && r.entries > 0);
  out.push('--- readies with entries ---');
  out.push(stats('entries', rs.map((r) => r.entries)));
  out.push(stats('committed', rs.map((r) => r.committed)));
  out.push(stats('ready total', rs.map((r) => r.end - r.start)));
  out.push(stats('start->saveReturned', rs.map((r) => r.saveReturned - r.start)));
  out.push(stats('saveRet->earlyDone', rs.filter((r) => r.earlyDone > 0).map((r) => r.earlyDone - r.saveReturned)));
  out.push(stats('earlyDone->saved', rs.filter((r) => r.earlyDone > 0).map((r) => r.saved - r.earlyDone)));
  out.push(stats('fsync ms', rs.map((r) => r.fsyncMs)));
  out.push(`onLoop fsyncs: ${rs.filter((r) => r.onLoop).length}/${rs.length}`);
  out.push(stats('saved->lateDone', rs.filter((r) => r.lateDone > 0).map((r) => r.lateDone - r.saved)));
  out.push(stats('lateDone->end', rs.filter((r) => r.lateDone > 0).map((r) => r.end - r.lateDone)));
  const gaps: number[] = [];
  for (let i = 1; i < readies.length; i++) gaps.push(readies[i]!.start - readies[i - 1]!.end);
  out.push(stats('gap end->next start', gaps));
  out.push('--- loop ---');
  out.push(stats('respond->wantTrailers', trailerDelays));
  out.push(stats('wantTrailers->submitted', trailerSubmit));
  out.push(stats('wantTrailers->close', trailerClose));
  out.push(`ELU over run: ${performance.eventLoopUtilization(elu0).utilization.toFixed(3)}`);
  out.push(`eventLoopDelay ms: mean=${(h!.mean / 1e6).toFixed(2)} p50=${(h!.percentile(50) / 1e6).toFixed(2)} p99=${(h!.percentile(99) / 1e6).toFixed(2)} max=${(h!.max / 1e6).toFixed(2)}`);
  out.push(stats('gc ms', gcs.map((g) => g.ms)));
  const byKind = new Map<number, number[]>();
  for (const g of gcs) byKind.set(g.kind, [...(byKind.get(g.kind) ?? []), g.ms]);
  for (const [k, a] of byKind) out.push(stats(`gc kind ${k}`, a));
  out.push(stats('stalls >3ms', stalls.map((s) => s.ms)));
  // Slow puts overlapping a gc or stall.
  const overlaps = (p: PutRec, s: number, ms: number): boolean => s < p.applied && s + ms > p.arrive;
  out.push(`slow puts overlapping a gc >=1ms: ${slow.filter((p) => gcs.some((g) => g.ms >= 1 && overlaps(p, g.start, g.ms))).length}/${slow.length}`);
  out.push(`slow puts overlapping a stall: ${slow.filter((p) => stalls.some((g) => overlaps(p, g.at, g.ms))).length}/${slow.length}`);
  // Readies with fsync > 5 ms.
  out.push(`readies fsync>5ms: ${rs.filter((r) => r.fsyncMs > 5).length}, >10ms: ${rs.filter((r) => r.fsyncMs > 10).length}`);
  return out.join('\n') + '\n';
}
