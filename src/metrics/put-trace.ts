// Diagnostic, off unless ETCD_TS_PUTTRACE=<file> is set: where each put's time goes, stage
// by stage, and what the slowest 1% waited on. Every put served by the unary fast path is
// timed from its request headers to its apply; every raft Ready from its start through its
// WAL write and fdatasync to its advance; every response from respond() to node asking for
// its trailers and to its stream's close. Beside them: event-loop delay, GC pauses (by kind)
// and loop turns longer than 3 ms. The summary is written to <file> when the process exits.
// The hooks cost one constant test each when it is off; when on it keeps every record in
// memory, so it is for benchmark runs only.

import { writeFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { gcKind } from '../pkg/gc-kind.js';

// A '%p' in the file name becomes the process id, so members of one local cluster write apart.
const OUT = process.env.ETCD_TS_PUTTRACE?.replace('%p', String(process.pid));
export const TRACE = OUT !== undefined && OUT !== '';

interface PutRec {
  /** Request headers seen. */
  arrive: number;
  /** Request ended: the handler was called. */
  end: number;
  propose: number;
  /** Readies started when it was proposed. */
  proposeReady: number;
  /** Whether the loop was running a Ready when it was proposed. */
  proposeRunning: boolean;
  applied: number;
  appliedReady: number;
}

interface ReadyRec {
  start: number;
  entries: number;
  committed: number;
  /** Committed entries applied while its WAL write ran. */
  early: number;
  writeStarted: number;
  earlyDone: number;
  saved: number;
  lateDone: number;
  end: number;
  fsyncMs: number;
  onLoop: boolean;
  walOps: number;
}

/** A span of time that may have held a put up (a GC pause, a loop stall). */
interface Span {
  start: number;
  ms: number;
}

const puts: PutRec[] = [];
const readies: ReadyRec[] = [];
let current: ReadyRec | undefined;
let readyCount = 0;
let running = false;
/** The request of the put about to be proposed (its handler runs synchronously up to the proposal). */
let pendingArrive = 0;
let pendingEnd = 0;
const allGcs: (Span & { kind: number })[] = [];
/** Loop turns longer than STALL_MS, seen by a zero-delay timer that re-arms itself. */
const allStalls: Span[] = [];
const STALL_MS = 3;
/** Start of the summarised window (SIGUSR2); records before it are left out. */
let since = 0;
const respondToWantTrailers: number[] = [];
const wantTrailersToClose: number[] = [];
const delay = TRACE ? monitorEventLoopDelay({ resolution: 1 }) : undefined;
let elu0 = TRACE ? performance.eventLoopUtilization() : undefined;

if (TRACE) {
  delay!.enable();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) allGcs.push({ start: e.startTime, ms: e.duration, kind: gcKind(e) ?? 0 });
  }).observe({ entryTypes: ['gc'] });
  let last = performance.now();
  const probe = (): void => {
    const now = performance.now();
    if (now - last > STALL_MS) allStalls.push({ start: last, ms: now - last });
    last = now;
    setTimeout(probe, 0);
  };
  setTimeout(probe, 0);
  process.on('exit', () => writeFileSync(OUT!, summarize()));
  // A benchmark sends SIGUSR2 after its warm-up: the summary then covers only what follows.
  process.on('SIGUSR2', () => {
    since = performance.now();
    delay!.reset();
    respondToWantTrailers.length = 0;
    wantTrailersToClose.length = 0;
    elu0 = performance.eventLoopUtilization();
  });
}

export function noteRequest(arrive: number, end: number): void {
  pendingArrive = arrive;
  pendingEnd = end;
}

export function noteRespond(): number {
  return performance.now();
}

/** From a 'wantTrailers' listener: how long after respond() node asked, and how long until the stream closed. */
export function noteTrailers(stream: { once(event: 'close', f: () => void): unknown }, respondAt: number): void {
  const t = performance.now();
  respondToWantTrailers.push(t - respondAt);
  stream.once('close', () => wantTrailersToClose.push(performance.now() - t));
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

export function readyStart(entries: number, committed: number): void {
  running = true;
  readyCount++;
  current = { start: performance.now(), entries, committed, early: 0, writeStarted: 0, earlyDone: 0, saved: 0, lateDone: 0, end: 0, fsyncMs: 0, onLoop: false, walOps: 0 };
  readies.push(current);
}

/** The Ready's WAL write is under way; `early` committed entries will be applied meanwhile. */
export function readyWriteStarted(early: number): void {
  if (!current) return;
  current.writeStarted = performance.now();
  current.early = early;
}

export function readyMark(k: 'earlyDone' | 'saved' | 'lateDone' | 'end'): void {
  if (current) current[k] = performance.now();
  if (k === 'end') running = false;
}

export function walFsync(ms: number, onLoop: boolean, ops: number): void {
  if (!current) return;
  current.fsyncMs = ms;
  current.onLoop = onLoop;
  current.walOps = ops;
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

/** Whether `span` overlaps the put's time from its headers to its apply. */
function overlaps(p: PutRec, span: Span): boolean {
  return span.start < p.applied && span.start + span.ms > p.arrive;
}

/** Each put's path through its own Ready (the one that wrote it) and the next (the one that applied it). */
function readyStages(out: string[], set: PutRec[], tag: string): void {
  const toOwnStart: number[] = [], ownWriteAndEarly: number[] = [], ownEarlyToSaved: number[] = [], ownFsync: number[] = [], savedToNext: number[] = [], nextToApplied: number[] = [];
  for (const p of set) {
    const own = readies[p.proposeReady];
    const next = readies[p.proposeReady + 1];
    if (!own || !next) continue;
    toOwnStart.push(own.start - p.propose);
    ownWriteAndEarly.push(own.earlyDone - own.start);
    ownEarlyToSaved.push(own.saved - own.earlyDone);
    ownFsync.push(own.fsyncMs);
    savedToNext.push(next.start - own.saved);
    nextToApplied.push(p.applied - next.start);
  }
  out.push(stats(`${tag} propose->ownStart`, toOwnStart));
  out.push(stats(`${tag} own write+early`, ownWriteAndEarly));
  out.push(stats(`${tag} own early->saved`, ownEarlyToSaved));
  out.push(stats(`${tag}   own fsyncMs`, ownFsync));
  out.push(stats(`${tag} saved->nextStart`, savedToNext));
  out.push(stats(`${tag} nextStart->applied`, nextToApplied));
}

function summarize(): string {
  const out: string[] = [];
  const done = puts.filter((p) => p.applied > 0 && p.arrive >= since && p.arrive > 0);
  const inWindow = <T extends { start: number }>(a: T[]): T[] => a.filter((x) => x.start >= since);
  const gcs = inWindow(allGcs);
  const stalls = inWindow(allStalls);
  const latency = (set: PutRec[]): number[] => set.map((p) => p.applied - p.arrive);
  const total = latency(done);
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

  // Where in the running Ready (from its start to its WAL write done) puts were proposed.
  const position: number[] = [], sinceRunningStart: number[] = [];
  let beforeEarlyDone = 0;
  for (const p of done) {
    if (!p.proposeRunning) continue;
    const running = readies[p.proposeReady - 1];
    if (!running || running.saved === 0) continue;
    sinceRunningStart.push(p.propose - running.start);
    position.push((p.propose - running.start) / Math.max(0.001, running.saved - running.start));
    if (p.propose <= running.earlyDone) beforeEarlyDone++;
  }
  const deciles = new Array<number>(10).fill(0);
  for (const x of position) deciles[Math.min(9, Math.max(0, Math.floor(x * 10)))]!++;
  out.push(`proposed-while-running: ${position.length}/${done.length}; position in running Ready (deciles): ${deciles.join(' ')}`);
  out.push(stats('propose - runningStart', sinceRunningStart));
  out.push(`proposed before runningReady.earlyDone: ${beforeEarlyDone}`);
  readyStages(out, done, 'all');
  readyStages(out, slow, 'slow');

  const majors = gcs.filter((g) => g.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
  const scavenges = gcs.filter((g) => g.kind === constants.NODE_PERFORMANCE_GC_MINOR);
  const bigStalls = stalls.filter((s) => s.ms >= 10);
  const hitBy = (p: PutRec, spans: Span[]): boolean => spans.some((s) => overlaps(p, s));
  const noMajor = done.filter((p) => !hitBy(p, majors));
  const noGc = noMajor.filter((p) => !hitBy(p, scavenges));
  const noStall = noGc.filter((p) => !hitBy(p, bigStalls));
  out.push(`puts hit by major gc ${done.length - noMajor.length}, by a scavenge ${noMajor.length - noGc.length}, by another >=10ms loop stall ${noGc.length - noStall.length}`);
  out.push(stats('lat all', total));
  out.push(stats('lat w/o major gc', latency(noMajor)));
  out.push(stats('lat w/o any gc', latency(noGc)));
  out.push(stats('lat w/o gc/stall>=10', latency(noStall)));
  out.push(`slow puts overlapping a major gc: ${slow.filter((p) => hitBy(p, majors)).length}/${slow.length}`);

  const rs = readies.filter((r) => r.end > 0 && r.entries > 0 && r.start >= since);
  out.push('--- readies with entries ---');
  out.push(stats('entries', rs.map((r) => r.entries)));
  out.push(stats('committed', rs.map((r) => r.committed)));
  out.push(stats('ready total', rs.map((r) => r.end - r.start)));
  out.push(stats('start->writeStarted', rs.map((r) => r.writeStarted - r.start)));
  out.push(stats('writeStarted->earlyDone', rs.map((r) => r.earlyDone - r.writeStarted)));
  out.push(stats('earlyDone->saved', rs.map((r) => r.saved - r.earlyDone)));
  out.push(stats('fsync ms', rs.map((r) => r.fsyncMs)));
  out.push(`onLoop fsyncs: ${rs.filter((r) => r.onLoop).length}/${rs.length}`);
  out.push(stats('saved->lateDone', rs.map((r) => r.lateDone - r.saved)));
  out.push(stats('lateDone->end', rs.map((r) => r.end - r.lateDone)));
  const gaps: number[] = [];
  for (let i = 1; i < readies.length; i++) if (readies[i - 1]!.end >= since) gaps.push(readies[i]!.start - readies[i - 1]!.end);
  out.push(stats('gap end->next start', gaps));

  out.push('--- loop ---');
  out.push(stats('respond->wantTrailers', respondToWantTrailers));
  out.push(stats('wantTrailers->close', wantTrailersToClose));
  out.push(`ELU over run: ${performance.eventLoopUtilization(elu0).utilization.toFixed(3)}`);
  out.push(`eventLoopDelay ms: mean=${(delay!.mean / 1e6).toFixed(2)} p50=${(delay!.percentile(50) / 1e6).toFixed(2)} p99=${(delay!.percentile(99) / 1e6).toFixed(2)} max=${(delay!.max / 1e6).toFixed(2)}`);
  out.push(stats('gc ms', gcs.map((g) => g.ms)));
  const byKind = new Map<number, number[]>();
  for (const g of gcs) byKind.set(g.kind, [...(byKind.get(g.kind) ?? []), g.ms]);
  for (const [k, a] of byKind) out.push(stats(`gc kind ${k}`, a));
  out.push(stats(`stalls >${STALL_MS}ms`, stalls.map((s) => s.ms)));
  out.push(`slow puts overlapping a gc >=1ms: ${slow.filter((p) => hitBy(p, gcs.filter((g) => g.ms >= 1))).length}/${slow.length}`);
  out.push(`slow puts overlapping a stall: ${slow.filter((p) => hitBy(p, stalls)).length}/${slow.length}`);
  out.push(`readies fsync>5ms: ${rs.filter((r) => r.fsyncMs > 5).length}, >10ms: ${rs.filter((r) => r.fsyncMs > 10).length}`);
  return out.join('\n') + '\n';
}
