// etcdctl check perf: writes 1 KiB values under --prefix at a fixed rate from many
// clients for 60 seconds, then judges the cluster with etcdctl 3.4's criteria:
// throughput above 90% of the rate, no request slower than 0.5 s, a standard deviation
// of latencies at most 0.1 s, and no errors. The keys are deleted afterwards
// (--auto-compact and --auto-defrag then clean up the history and the file).

import { goQuoteText } from '../../pkg/go-quote.js';
import { ClientError, type Client } from '../../client/client.js';
import { computeStats, type Stats } from '../../benchmark/report.js';
import { CtlError, ExitCode } from './errors.js';
import { prefixEnd } from './kv-commands.js';
import { ImmediateOutput, type Output } from './output.js';
import type { Session } from './session.js';
import { byteStringBytes } from '../../pkg/byte-string.js';

export interface PerfProfile {
  /** Writes per second offered. */
  limit: number;
  /** Clients (connections) writing side by side. */
  clients: number;
  durationSecs: number;
}

/** etcdctl's workloads. */
export const PERF_PROFILES: Record<string, PerfProfile> = {
  s: { limit: 150, clients: 50, durationSecs: 60 },
  m: { limit: 1000, clients: 200, durationSecs: 60 },
  l: { limit: 8000, clients: 500, durationSecs: 60 },
  xl: { limit: 15000, clients: 1000, durationSecs: 60 },
};

const LOAD_ALIASES: Record<string, string> = { s: 's', small: 's', m: 'm', medium: 'm', l: 'l', large: 'l', xl: 'xl', xLarge: 'xl' };

const KEY_BYTES = 256;
const VALUE_BYTES = 1024;
/** Slowest request allowed, in seconds. */
export const SLOWEST_LIMIT_SECS = 0.5;
/** Largest standard deviation of latencies allowed, in seconds. */
export const STDDEV_LIMIT_SECS = 0.1;
/** Share of the offered rate the cluster must sustain (strictly more than this). */
export const THROUGHPUT_SHARE = 0.9;
/** Deadline of the clean-up delete, compaction and each defragmentation. */
const CLEANUP_TIMEOUT_MS = 30_000;

export function perfProfile(load: string): PerfProfile {
  const model = Object.hasOwn(LOAD_ALIASES, load) ? LOAD_ALIASES[load] : undefined;
  if (model === undefined) throw new CtlError(`unknown load option ${load}`, ExitCode.BadFeature);
  return PERF_PROFILES[model]!;
}

/** The verdict lines etcdctl prints, and whether the check passed. */
export function judgePerf(s: Pick<Stats, 'rps' | 'slowest' | 'stddev'>, errors: Map<string, number>, limit: number): { lines: string[]; ok: boolean } {
  const lines: string[] = [];
  let ok = true;
  if (errors.size > 0) {
    lines.push('FAIL: too many errors');
    for (const [k, v] of [...errors].sort((a, b) => (a[0] < b[0] ? -1 : 1))) lines.push(`FAIL: ERROR(${k}) -> ${v}`);
    ok = false;
  }
  const writes = Math.trunc(s.rps) + 1;
  if (s.rps / limit <= THROUGHPUT_SHARE) {
    lines.push(`FAIL: Throughput too low: ${writes} writes/s`);
    ok = false;
  } else lines.push(`PASS: Throughput is ${writes} writes/s`);
  // etcdctl 3.4 words these two failures without "FAIL: ".
  if (s.slowest > SLOWEST_LIMIT_SECS) {
    lines.push(`Slowest request took too long: ${s.slowest.toFixed(6)}s`);
    ok = false;
  } else lines.push(`PASS: Slowest request took ${s.slowest.toFixed(6)}s`);
  if (s.stddev > STDDEV_LIMIT_SECS) {
    lines.push(`Stddev too high: ${s.stddev.toFixed(6)}s`);
    ok = false;
  } else lines.push(`PASS: Stddev is ${s.stddev.toFixed(6)}s`);
  lines.push(ok ? 'PASS' : 'FAIL');
  return { lines, ok };
}

/** A key: the prefix, then `size` bytes holding a random varint (Go's binary.PutVarint) and zeros. */
export function randomKey(prefix: Buffer, size = KEY_BYTES): Buffer {
  const k = Buffer.alloc(size);
  // A random non-negative 63-bit number, zig-zag encoded as PutVarint does.
  let v = (BigInt(Math.floor(Math.random() * 2 ** 31)) << 32n) | BigInt(Math.floor(Math.random() * 2 ** 32));
  v <<= 1n;
  let i = 0;
  while (v >= 0x80n) {
    k[i++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  k[i] = Number(v);
  return Buffer.concat([prefix, k]);
}

/**
 * pb.v1's counter as etcdctl shows it when stdout is not a terminal (no room for the
 * bar): "\r 9 / 60  15.00% 00m51s", redrawn each second; the last one shows the time taken.
 */
export function barLine(done: number, total: number, elapsedSecs: number): string {
  const pct = ((done / total) * 100).toFixed(2).padStart(6);
  if (done >= total) {
    const secs = Math.round(elapsedSecs);
    const m = Math.floor(secs / 60);
    return `\r ${done} / ${total}  ${pct}% ${m > 0 ? `${m}m` : ''}${secs % 60}s`;
  }
  if (done === 0) return `\r ${done} / ${total} ${pct}%`;
  const left = Math.max(Math.round((elapsedSecs / done) * (total - done)), 0);
  const two = (n: number) => String(n).padStart(2, '0');
  return `\r ${done} / ${total} ${pct}% ${two(Math.floor(left / 60))}m${two(left % 60)}s`;
}

export async function checkPerfCommand(s: Session): Promise<number> {
  const cfg = perfProfile(s.flags.string('load'));
  const prefix = byteStringBytes(s.flags.string('prefix'));
  const clients: Client[] = [];
  try {
    for (let i = 0; i < cfg.clients; i++) clients.push(await s.client());
    s.err.flushTo(2);
    // etcdctl's clients are connected before it starts timing: so are these.
    await Promise.all(clients.map((c) => s.call(() => c.connect(s.flags.durationMs('dial-timeout')))));
    const first = clients[0]!;
    const found = await s.call(() => first.range({ key: prefix, rangeEnd: prefixEnd(prefix), limit: 1 }, { timeoutMs: cfg.durationSecs * 1000 }));
    if (found.kvs.length > 0) {
      const p = s.flags.string('prefix');
      throw new CtlError(`prefix ${goQuoteText(p)} has keys. Delete with etcdctl del --prefix ${p} first`, ExitCode.InvalidInput);
    }
    const out = new ImmediateOutput(1);
    const { latencies, errors, totalSecs } = await writeLoad(clients, cfg, prefix, out);
    const stats = computeStats(Float64Array.from(latencies), totalSecs, errors);
    const deleted = await s.call(() => first.deleteRange({ key: prefix, rangeEnd: prefixEnd(prefix) }, { timeoutMs: CLEANUP_TIMEOUT_MS }));
    if (s.flags.bool('auto-compact')) {
      const rev = deleted.header!.revision;
      out.line(`Compacting with revision ${rev}`);
      await s.call(() => first.compact({ revision: rev, physical: true }, { timeoutMs: CLEANUP_TIMEOUT_MS }));
      out.line(`Compacted with revision ${rev}`);
    }
    if (s.flags.bool('auto-defrag')) {
      for (const ep of first.endpoints) {
        out.line(`Defragmenting ${goQuoteText(ep)}`);
        await s.call(() => first.forEndpoint(ep).defragment({ timeoutMs: CLEANUP_TIMEOUT_MS }), 'passthrough');
        out.line(`Defragmented ${goQuoteText(ep)}`);
      }
    }
    const verdict = judgePerf(stats, errors, cfg.limit);
    for (const l of verdict.lines) out.line(l);
    return verdict.ok ? ExitCode.Success : ExitCode.Error;
  } finally {
    for (const c of clients) c.close();
  }
}

/**
 * Offers `limit` puts a second for the duration: a generator paced by the clock hands
 * them to the clients, each doing one put at a time. Like etcdctl's bounded channel, at
 * most one waiting put per client is held back; when all are busy the generator waits.
 */
async function writeLoad(clients: Client[], cfg: PerfProfile, prefix: Buffer, out: Output): Promise<{ latencies: number[]; errors: Map<string, number>; totalSecs: number }> {
  const value = Buffer.alloc(VALUE_BYTES);
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  const queue: Buffer[] = [];
  const idle: Array<() => void> = [];
  let spaceFreed: (() => void) | undefined;
  let producing = true;
  const start = performance.now();

  const worker = async (c: Client) => {
    for (;;) {
      const key = queue.shift();
      if (key === undefined) {
        if (!producing) return;
        await new Promise<void>((r) => idle.push(r));
        continue;
      }
      spaceFreed?.();
      const st = performance.now();
      try {
        await c.put({ key, value }, { timeoutMs: 0 });
        latencies.push((performance.now() - st) / 1000);
      } catch (e) {
        const text = e instanceof ClientError ? e.userText : (e as Error).message;
        errors.set(text, (errors.get(text) ?? 0) + 1);
      }
    }
  };
  const workers = clients.map((c) => worker(c));

  out.raw(barLine(0, cfg.durationSecs, 0));
  let ticks = 0;
  const ticker = setInterval(() => {
    // One step a second, the last one drawn when the writing is done.
    if (ticks < cfg.durationSecs - 1) out.raw(barLine(++ticks, cfg.durationSecs, ticks));
  }, 1000);

  // Puts become due at limit per second; a late clock catches up on what is due.
  const endAt = start + cfg.durationSecs * 1000;
  let issued = 0;
  while (performance.now() < endAt) {
    const due = Math.floor(((performance.now() - start) / 1000) * cfg.limit) + 1;
    while (issued < due) {
      while (queue.length >= clients.length) await new Promise<void>((r) => (spaceFreed = r));
      if (performance.now() >= endAt) break;
      queue.push(randomKey(prefix));
      issued++;
      idle.shift()?.();
    }
    const nextAt = start + (issued / cfg.limit) * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(nextAt, endAt) - performance.now())));
  }
  producing = false;
  for (const wake of idle.splice(0)) wake();
  await Promise.all(workers);
  clearInterval(ticker);
  out.line(barLine(cfg.durationSecs, cfg.durationSecs, (performance.now() - start) / 1000));
  return { latencies, errors, totalSecs: (performance.now() - start) / 1000 };
}
