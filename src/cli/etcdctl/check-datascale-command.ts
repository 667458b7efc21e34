// etcdctl check datascale: puts a fixed number of 1 KiB key-value pairs (512-byte keys under
// --prefix, 512-byte values) from many clients as fast as the server takes them, and reports
// how much the first endpoint's resident memory (process_resident_memory_bytes on its
// /metrics) grew meanwhile. The keys are deleted afterwards; --auto-compact and
// --auto-defrag then clean up the history and the file, as in check perf.

import { goQuoteText } from '../../pkg/go-quote.js';
import { ClientError, type Client } from '../../client/client.js';
import { CtlError, ExitCode } from './errors.js';
import { prefixEnd } from './kv-commands.js';
import { ImmediateOutput, type Output } from './output.js';
import { randomKey } from './check-perf-command.js';
import type { Session } from './session.js';
import { byteStringBytes } from '../../pkg/byte-string.js';

export interface DatascaleProfile {
  /** Key-value pairs written. */
  pairs: number;
  /** Bytes per pair (key suffix plus value), as the banner says. */
  kvBytes: number;
  clients: number;
}

/** etcdctl's workloads; xl is three versions' worth of a million objects. */
export const DATASCALE_PROFILES: Record<string, DatascaleProfile> = {
  s: { pairs: 10_000, kvBytes: 1024, clients: 50 },
  m: { pairs: 100_000, kvBytes: 1024, clients: 200 },
  l: { pairs: 1_000_000, kvBytes: 1024, clients: 500 },
  xl: { pairs: 3_000_000, kvBytes: 1024, clients: 1000 },
};

const LOAD_ALIASES: Record<string, string> = { s: 's', small: 's', m: 'm', medium: 'm', l: 'l', large: 'l', xl: 'xl', xLarge: 'xl' };

const KEY_BYTES = 512;
const VALUE_BYTES = 512;
/** pb.v1's default redraw interval. */
const BAR_REFRESH_MS = 200;
const RESIDENT_MEMORY = 'process_resident_memory_bytes';
const MIB = 1024 * 1024;

export function datascaleProfile(load: string): DatascaleProfile {
  const model = Object.hasOwn(LOAD_ALIASES, load) ? LOAD_ALIASES[load] : undefined;
  if (model === undefined) throw new CtlError(`unknown load option ${load}`, ExitCode.BadFeature);
  return DATASCALE_PROFILES[model]!;
}

/**
 * pb.v1's counter bar as etcdctl prints it when stdout is not a terminal:
 * "\r 445 / 10000    4.45% 00m04s" while running (the estimate, truncated to whole seconds,
 * left out when under a second), and "\r 10000 / 10000  100.00% 3s" once finished, with
 * the time taken as a Go duration of whole seconds.
 */
export function countBarLine(done: number, total: number, elapsedSecs: number, finished: boolean): string {
  const head = `\r ${done} / ${total}  ${((done / total) * 100).toFixed(2).padStart(6)}%`;
  if (finished) return `${head} ${goSeconds(Math.trunc(elapsedSecs))}`;
  if (done === 0 || done >= total) return head;
  const left = Math.trunc((elapsedSecs / done) * (total - done));
  if (left <= 0) return head;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${head} ${two(Math.floor(left / 60))}m${two(left % 60)}s`;
}

/** Go's Duration.String() for whole seconds: 0s, 59s, 1m0s, 1h2m3s. */
function goSeconds(secs: number): string {
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = secs % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** The memory-used verdict line: the growth in MiB with two decimals (negative if it shrank). */
export function memoryVerdict(bytesBefore: number, bytesAfter: number): string {
  return `PASS: Approximate system memory used : ${((bytesAfter - bytesBefore) / MIB).toFixed(2)} MB.`;
}

/** The first line of `metrics` naming the resident memory gauge, parsed; 0 (with etcdctl's note) when missing. */
export function residentMemoryFrom(metrics: string, out: Output): number {
  const line = metrics.split('\n').find((l) => l.startsWith(RESIDENT_MEMORY));
  if (line === undefined) {
    out.line(`could not find: ${RESIDENT_MEMORY}`);
    return 0;
  }
  const text = line.slice(RESIDENT_MEMORY.length).trim();
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) {
    out.line(`parse error: strconv.ParseFloat: parsing ${goQuoteText(text)}: invalid syntax`);
    return 0;
  }
  return value;
}

/** GET http://<endpoint>/metrics (etcdctl 3.4 always uses plain HTTP here); 0 when it fails. */
async function endpointResidentMemory(endpoint: string, out: Output): Promise<number> {
  const url = `${endpoint.startsWith('http://') ? endpoint : `http://${endpoint}`}/metrics`;
  try {
    const res = await fetch(url);
    return residentMemoryFrom(await res.text(), out);
  } catch (e) {
    out.line(`fetch error: Get ${goQuoteText(url)}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`);
    return 0;
  }
}

export async function checkDatascaleCommand(s: Session): Promise<number> {
  const cfg = datascaleProfile(s.flags.string('load'));
  const prefixText = s.flags.string('prefix');
  const prefix = byteStringBytes(prefixText);
  const clients: Client[] = [];
  try {
    for (let i = 0; i < cfg.clients; i++) clients.push(await s.client());
    s.err.flushTo(2);
    const endpoint = (await s.endpoints())[0]!;
    const first = clients[0]!;
    const found = await s.call(() => first.range({ key: prefix, rangeEnd: prefixEnd(prefix), limit: 1 }, { timeoutMs: 0 }));
    if (found.kvs.length > 0) {
      throw new CtlError(`prefix ${goQuoteText(prefixText)} has keys. Delete with etcdctl del --prefix ${prefixText} first`, ExitCode.InvalidInput);
    }
    const out = new ImmediateOutput(1);
    const bytesBefore = await endpointResidentMemory(endpoint, out);
    if (bytesBefore === 0) {
      out.line('FAIL: Could not read process_resident_memory_bytes before the put operations.');
      return ExitCode.Error;
    }
    out.line(`Start data scale check for work load [${cfg.pairs} key-value pairs, ${cfg.kvBytes} bytes per key-value, ${cfg.clients} concurrent clients].`);
    const errors = await putAll(clients, cfg, prefix, out);
    const bytesAfter = await endpointResidentMemory(endpoint, out);
    if (bytesAfter === 0) {
      out.line('FAIL: Could not read process_resident_memory_bytes after the put operations.');
      return ExitCode.Error;
    }
    const deleted = await s.call(() => first.deleteRange({ key: prefix, rangeEnd: prefixEnd(prefix) }, { timeoutMs: 0 }));
    if (s.flags.bool('auto-compact')) {
      const rev = deleted.header!.revision;
      out.line(`Compacting with revision ${rev}`);
      await s.call(() => first.compact({ revision: rev, physical: true }, { timeoutMs: 0 }));
      out.line(`Compacted with revision ${rev}`);
    }
    if (s.flags.bool('auto-defrag')) {
      for (const ep of first.endpoints) {
        out.line(`Defragmenting ${goQuoteText(ep)}`);
        await s.call(() => first.forEndpoint(ep).defragment({ timeoutMs: 0 }), 'passthrough');
        out.line(`Defragmented ${goQuoteText(ep)}`);
      }
    }
    if (errors.size > 0) {
      out.line('FAIL: too many errors');
      for (const [k, v] of [...errors].sort((a, b) => (a[0] < b[0] ? -1 : 1))) out.line(`FAIL: ERROR(${k}) -> ${v}`);
      return ExitCode.Error;
    }
    out.line(memoryVerdict(bytesBefore, bytesAfter));
    return ExitCode.Success;
  } finally {
    for (const c of clients) c.close();
  }
}

/** Every client puts, one at a time, until `pairs` puts were made; errors are counted by text. */
async function putAll(clients: Client[], cfg: DatascaleProfile, prefix: Buffer, out: Output): Promise<Map<string, number>> {
  const value = Buffer.alloc(VALUE_BYTES);
  const errors = new Map<string, number>();
  let issued = 0;
  let done = 0;
  const start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;
  out.raw(countBarLine(0, cfg.pairs, 0, false));
  const bar = setInterval(() => out.raw(countBarLine(done, cfg.pairs, elapsed(), false)), BAR_REFRESH_MS);
  const worker = async (c: Client) => {
    while (issued < cfg.pairs) {
      issued++;
      try {
        await c.put({ key: randomKey(prefix, KEY_BYTES), value }, { timeoutMs: 0 });
      } catch (e) {
        const text = e instanceof ClientError ? e.userText : (e as Error).message;
        errors.set(text, (errors.get(text) ?? 0) + 1);
      }
      done++;
    }
  };
  try {
    await Promise.all(clients.map(worker));
  } finally {
    clearInterval(bar);
  }
  out.line(countBarLine(done, cfg.pairs, elapsed(), true));
  return errors;
}
