// A benchmark worker thread: owns a few gRPC channels and the client loops that share them,
// records latencies into a preallocated Float64Array and reports progress to the main thread.

import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import type { WorkerJob, WorkerMessage } from './job.js';
import { H2Conn, METHODS, errorText } from './h2-grpc.js';
import { benchKey, encodeLeaseGrant, encodeLeaseKeepAlive, encodePut, encodeRange, encodeRequestOp, encodeTxn } from './wire.js';
import { LeaseGrantResponse } from '../gen/etcdserverpb/rpc.js';
import { runWatchJob } from './watch-job.js';

const job = workerData as WorkerJob;
const post = (m: WorkerMessage) => parentPort!.postMessage(m);

const str = (k: string) => String(job.flags[k] ?? '');
const num = (k: string) => Number(job.flags[k] ?? 0);

/** Latency sink: one slot per request of this worker, per series. */
class Recorder {
  readonly series = new Map<string, { lat: Float64Array; n: number }>();
  readonly errors = new Map<string, number>();
  done = 0;
  constructor(capacity: number, names: string[]) {
    for (const name of names) this.series.set(name, { lat: new Float64Array(capacity), n: 0 });
  }
  ok(name: string, secs: number): void {
    const s = this.series.get(name)!;
    s.lat[s.n++] = secs;
    this.done++;
  }
  fail(err: unknown): void {
    const t = errorText(err);
    this.errors.set(t, (this.errors.get(t) ?? 0) + 1);
    this.done++;
  }
  result(): Record<string, Float64Array> {
    const out: Record<string, Float64Array> = {};
    for (const [k, s] of this.series) out[k] = s.lat.slice(0, s.n);
    return out;
  }
}

/** Spaces requests evenly at this worker's share of --rate. */
function makeLimiter(rate: number): (then: () => void) => void {
  if (rate <= 0) return (then) => then();
  const interval = 1000 / rate;
  let next = performance.now();
  return (then) => {
    const now = performance.now();
    const slot = Math.max(now, next);
    next = slot + interval;
    if (slot - now < 1) then();
    else setTimeout(then, slot - now);
  };
}

interface UnaryWorkload {
  series: string[];
  /** Returns method, request bytes and the series the latency is recorded under. */
  next(client: number, i: number): { method: string; req: Buffer; series: string };
}

function keyChooser(keySize: number, space: number, sequential: boolean): (i: number) => Buffer {
  // Small key spaces are pre-built once; large ones are encoded per request into a fresh key.
  if (space <= 65536) {
    const keys = Array.from({ length: space }, (_, n) => benchKey(keySize, n));
    return sequential ? (i) => keys[i % space]! : () => keys[Math.floor(Math.random() * space)]!;
  }
  return sequential ? (i) => benchKey(keySize, i % space) : () => benchKey(keySize, Math.floor(Math.random() * space));
}

function buildWorkload(perClientBase: number[]): UnaryWorkload {
  const cmd = job.command;
  if (cmd === 'put') {
    const value = randomBytes(num('val-size'));
    const space = Math.max(1, num('key-space-size'));
    const pick = keyChooser(num('key-size'), space, job.flags['sequential-keys'] === true);
    // A single-key space sends one immutable pre-encoded request forever.
    const fixed = space === 1 ? encodePut(pick(0), value) : null;
    return {
      series: [''],
      next: (c, i) => ({ method: METHODS.put, req: fixed ?? encodePut(pick(perClientBase[c]! + i), value), series: '' }),
    };
  }
  if (cmd === 'range') {
    const key = Buffer.from(job.args[0] ?? '');
    const end = job.args[1] !== undefined ? Buffer.from(job.args[1]) : undefined;
    const req = encodeRange(key, {
      end,
      limit: num('limit'),
      serializable: str('consistency') === 's',
      countOnly: job.flags['count-only'] === true,
    });
    return { series: [''], next: () => ({ method: METHODS.range, req, series: '' }) };
  }
  if (cmd === 'txn-put') {
    const value = randomBytes(num('val-size'));
    const space = Math.max(1, num('key-space-size'));
    const pick = keyChooser(num('key-size'), space, false);
    const ops = Math.max(1, num('txn-ops'));
    const fixed = space === 1 ? encodeTxn(Array.from({ length: ops }, () => encodeRequestOp('put', encodePut(pick(0), value)))) : null;
    return {
      series: [''],
      next: () => ({
        method: METHODS.txn,
        req: fixed ?? encodeTxn(Array.from({ length: ops }, () => encodeRequestOp('put', encodePut(pick(0), value)))),
        series: '',
      }),
    };
  }
  if (cmd === 'txn-mixed') {
    const value = randomBytes(num('val-size'));
    const space = Math.max(1, num('key-space-size'));
    const pick = keyChooser(num('key-size'), space, false);
    const endKey = str('end-key');
    const ratio = num('rw-ratio');
    const readShare = ratio / (1 + ratio);
    const readOpts = { end: endKey ? Buffer.from(endKey) : undefined, limit: num('limit'), serializable: str('consistency') === 's' };
    return {
      series: ['read', 'write'],
      next: () => {
        const key = pick(0);
        if (Math.random() < readShare) {
          return { method: METHODS.txn, req: encodeTxn([encodeRequestOp('range', encodeRange(key, readOpts))]), series: 'read' };
        }
        return { method: METHODS.txn, req: encodeTxn([encodeRequestOp('put', encodePut(key, value))]), series: 'write' };
      },
    };
  }
  throw new Error(`unknown command ${cmd}`);
}

async function connect(): Promise<H2Conn[]> {
  const conns: H2Conn[] = [];
  for (let i = 0; i < job.conns; i++) {
    conns.push(new H2Conn(job.endpoints[(job.connOffset + i) % job.endpoints.length]!));
  }
  try {
    await Promise.all(conns.map((c) => c.waitConnected(job.dialTimeoutMs)));
  } catch (err) {
    for (const c of conns) c.destroy();
    throw err;
  }
  return conns;
}

function waitStart(): Promise<void> {
  return new Promise((resolve) => parentPort!.once('message', () => resolve()));
}

async function runUnary(conns: H2Conn[]): Promise<void> {
  const total = job.perClient.reduce((a, b) => a + b, 0);
  // Every client gets its own stretch of the run's request indexes (sequential keys).
  const base: number[] = [];
  job.perClient.reduce((acc, n, i) => ((base[i] = acc), acc + n), job.requestOffset);
  const w = buildWorkload(base);
  const rec = new Recorder(total, w.series);
  const limit = makeLimiter(job.rate);
  post({ type: 'ready' });
  await waitStart();
  const startedAt = performance.timeOrigin + performance.now();
  const ticker = setInterval(() => post({ type: 'progress', done: rec.done }), 200);
  await Promise.all(
    job.perClient.map(
      (count, c) =>
        new Promise<void>((resolve) => {
          const conn = conns[c % conns.length]!;
          let i = 0;
          const issue = () => {
            if (i >= count) return resolve();
            const { method, req, series } = w.next(c, i++);
            const t0 = performance.now();
            conn.unary(method, req, (err) => {
              if (err) rec.fail(err);
              else rec.ok(series, (performance.now() - t0) / 1000);
              limit(issue);
            });
          };
          limit(issue);
        }),
    ),
  );
  const finishedAt = performance.timeOrigin + performance.now();
  clearInterval(ticker);
  post({ type: 'progress', done: rec.done });
  post({ type: 'done', startedAt, finishedAt, series: rec.result(), errors: [...rec.errors], notes: [] });
}

/** Each client grants one lease, then round-trips keepalives on its own stream. */
async function runLeaseKeepAlive(conns: H2Conn[]): Promise<void> {
  const total = job.perClient.reduce((a, b) => a + b, 0);
  const rec = new Recorder(total, ['']);
  const leases = await Promise.all(
    job.perClient.map(async (_, c) => {
      try {
        const res = LeaseGrantResponse.decode(await conns[c % conns.length]!.unaryP(METHODS.leaseGrant, encodeLeaseGrant(100)));
        return { id: res.ID, err: null as unknown };
      } catch (err) {
        return { id: 0n, err };
      }
    }),
  );
  post({ type: 'ready' });
  await waitStart();
  const startedAt = performance.timeOrigin + performance.now();
  const ticker = setInterval(() => post({ type: 'progress', done: rec.done }), 200);
  await Promise.all(
    job.perClient.map(
      (count, c) =>
        new Promise<void>((resolve) => {
          const lease = leases[c]!;
          if (lease.err) {
            for (let i = 0; i < count; i++) rec.fail(lease.err);
            return resolve();
          }
          const req = encodeLeaseKeepAlive(lease.id);
          const stream = conns[c % conns.length]!.bidi(METHODS.leaseKeepAlive);
          let i = 0;
          let ok = 0;
          let t0 = 0;
          let finished = false;
          const finish = () => {
            if (finished) return;
            finished = true;
            stream.end();
            resolve();
          };
          const send = () => {
            if (i >= count) return finish();
            i++;
            t0 = performance.now();
            stream.write(req);
          };
          stream.on('data', () => {
            rec.ok('', (performance.now() - t0) / 1000);
            ok++;
            send();
          });
          stream.on('error', (err: unknown) => {
            // The in-flight keepalive and every one not yet sent count as failed.
            if (!finished) for (let k = ok; k < count; k++) rec.fail(err);
            finish();
          });
          stream.on('end', finish);
          send();
        }),
    ),
  );
  const finishedAt = performance.timeOrigin + performance.now();
  clearInterval(ticker);
  post({ type: 'done', startedAt, finishedAt, series: rec.result(), errors: [...rec.errors], notes: [] });
}

async function main(): Promise<void> {
  let conns: H2Conn[];
  try {
    conns = await connect();
  } catch (err) {
    post({ type: 'fatal', message: `failed to dial ${job.endpoints.join(',')}: ${(err as Error).message}` });
    return;
  }
  try {
    if (job.command === 'lease-keepalive') await runLeaseKeepAlive(conns);
    else if (job.command === 'watch' || job.command === 'watch-latency') {
      await runWatchJob(job, conns, post, waitStart);
    } else await runUnary(conns);
  } catch (err) {
    post({ type: 'fatal', message: (err as Error).stack ?? String(err) });
  } finally {
    for (const c of conns) c.close();
  }
}

void main();
