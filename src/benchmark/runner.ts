// The main thread of bin/benchmark: picks endpoints, splits connections and clients over
// worker threads, shows progress on stderr, and merges the workers' latencies into reports.

import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { Parsed } from './flags.js';
import type { WorkerJob, WorkerMessage } from './job.js';
import { computeStats, type Stats } from './report.js';
import { H2Conn, METHODS } from './h2-grpc.js';
import { StatusResponse } from '../gen/etcdserverpb/rpc.js';

export interface NamedReport {
  name: string;
  stats: Stats;
}

export interface RunResult {
  reports: NamedReport[];
  notes: string[];
}

export interface RunOptions {
  /** Draw the progress bar on stderr (default: when stderr is a TTY). */
  progress?: boolean;
}

/** Headings for the series a command records, in print order. */
const SERIES_TITLES: Record<string, string> = {
  '': '',
  read: 'Read summary',
  write: 'Write summary',
  create: 'Watch creation',
  put: 'Put',
  event: 'Watch events',
};

function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/** --target-leader: ask each endpoint for Status and keep the one that is the leader. */
async function leaderEndpoint(endpoints: string[], dialTimeoutMs: number): Promise<string> {
  for (const ep of endpoints) {
    const c = new H2Conn(ep);
    try {
      await c.waitConnected(dialTimeoutMs || 5000);
      const st = StatusResponse.decode(await c.unaryP(METHODS.status, Buffer.alloc(0)));
      if (st.header && st.leader === st.header.memberId) return ep;
    } catch {
      // unreachable member: try the next one
    } finally {
      c.destroy();
    }
  }
  throw new Error('no leader found among the endpoints');
}

export async function runBenchmark(p: Parsed, opts: RunOptions = {}): Promise<RunResult> {
  const f = p.flags;
  let endpoints = String(f.endpoints).split(',').map((e) => e.trim().replace(/^https?:\/\//, '')).filter(Boolean);
  const dialTimeoutMs = Number(f['dial-timeout']);
  if (f['target-leader'] === true) endpoints = [await leaderEndpoint(endpoints, dialTimeoutMs)];
  const command = p.command!;
  const watchLike = command === 'watch' || command === 'watch-latency';
  const conns = Math.max(1, Number(f.conns));
  const clients = Math.max(1, Number(f.clients));
  // watch commands run their puts serially on one worker; the rest spread over threads.
  const workers = watchLike ? 1 : Math.max(1, Math.min(conns, clients, Number(f.workers) || availableParallelism()));
  const total = watchLike ? Number(f['put-total']) : Number(f.total);
  const rate = Number(f.rate ?? 0);
  const connsPer = split(conns, workers);
  const clientsPer = split(clients, workers);
  const perClientAll = split(total, clients);

  const showProgress = opts.progress ?? process.stderr.isTTY === true;
  const done = new Array<number>(workers).fill(0);
  let lastDraw = 0;
  const draw = (force = false) => {
    if (!showProgress) return;
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const d = done.reduce((a, b) => a + b, 0);
    const width = 50;
    const filled = total > 0 ? Math.min(width, Math.round((d / total) * width)) : width;
    process.stderr.write(`\r ${d} / ${total} [${'='.repeat(filled)}${filled < width ? '>' : ''}${' '.repeat(Math.max(0, width - filled - 1))}] ${total > 0 ? ((d * 100) / total).toFixed(2) : '100.00'}%`);
  };

  let clientCursor = 0;
  let connCursor = 0;
  const handles = connsPer.map((nConns, w) => {
    const perClient = perClientAll.slice(clientCursor, clientCursor + clientsPer[w]!);
    const job: WorkerJob = {
      command,
      flags: f,
      args: p.args,
      endpoints,
      connOffset: connCursor,
      requestOffset: perClientAll.slice(0, clientCursor).reduce((a, b) => a + b, 0),
      conns: nConns,
      perClient,
      rate: rate > 0 ? (rate * clientsPer[w]!) / clients : 0,
      dialTimeoutMs,
    };
    clientCursor += clientsPer[w]!;
    connCursor += nConns;
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: job });
    let readyResolve!: () => void;
    const ready = new Promise<void>((r) => (readyResolve = r));
    const finished = new Promise<Extract<WorkerMessage, { type: 'done' }>>((resolve, reject) => {
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') readyResolve();
        else if (m.type === 'progress') {
          done[w] = m.done;
          draw();
        } else if (m.type === 'done') resolve(m);
        else if (m.type === 'fatal') reject(new Error(m.message));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`benchmark worker exited with code ${code}`)));
    });
    finished.catch(() => readyResolve());
    return { worker, ready, finished };
  });

  try {
    await Promise.race([Promise.all(handles.map((h) => h.ready)), ...handles.map((h) => h.finished.then(() => undefined))]);
    for (const h of handles) h.worker.postMessage('start');
    const results = await Promise.all(handles.map((h) => h.finished));
    draw(true);
    if (showProgress) process.stderr.write('\n');
    const startedAt = Math.min(...results.map((r) => r.startedAt));
    const finishedAt = Math.max(...results.map((r) => r.finishedAt));
    const errors = new Map<string, number>();
    for (const r of results) for (const [k, v] of r.errors) errors.set(k, (errors.get(k) ?? 0) + v);
    const names = Object.keys(results[0]!.series);
    const reports = names.map((name, i) => {
      const parts = results.map((r) => r.series[name]!);
      const merged = new Float64Array(parts.reduce((a, b) => a + b.length, 0));
      let off = 0;
      for (const part of parts) {
        merged.set(part, off);
        off += part.length;
      }
      // Errors belong to the run as a whole; print them once, under the last report.
      const errs = i === names.length - 1 ? errors : new Map<string, number>();
      return { name: SERIES_TITLES[name] ?? name, stats: computeStats(merged, (finishedAt - startedAt) / 1000, errs) };
    });
    return { reports, notes: results.flatMap((r) => r.notes) };
  } finally {
    await Promise.all(handles.map((h) => h.worker.terminate()));
  }
}
