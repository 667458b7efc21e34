// One structured logger for the member, writing etcd 3.5's zap JSON lines:
//   {"level":"info","ts":"2026-11-23T01:15:24.123456Z","caller":"embed/etcd.go:308","msg":"...",<fields>}
// Keys come in zap's order (level, ts, caller, msg, then fields as given) so log
// shippers and operators' greps written for etcd keep working. `ts` is local time with
// microseconds and a zone offset ("Z" in UTC), etcd 3.5's encoder format.
//
// --log-level: debug|info|warn|error|dpanic|panic|fatal (zap's names; upper case too).
// --log-outputs: "default"/"stderr" → stderr, "stdout", or file paths (appended to).

import { closeSync, openSync } from 'node:fs';
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { LogLevel, LogRecord } from './log-record.js';
import { goPathError } from '../pkg/go-os-errors.js';

export type { LogLevel, LogRecord };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Logs, then ends the process with exit code 1, as zap's Fatal does. */
  fatal(msg: string, fields?: Record<string, unknown>): never;
  /** Writes a record decided earlier (e.g. during flag parsing); fatal records do not exit. */
  write(record: LogRecord): void;
  /** The same outputs with `caller` set to this component (e.g. "etcdserver/server.go"). */
  child(caller: string): Logger;
  /** A logger that adds these fields to every line, like zap's With. */
  with(fields: Record<string, unknown>): Logger;
  /** True when lines at `level` are written. */
  enabled(level: LogLevel): boolean;
}

/** Numeric order of zap's levels (pino numbers). */
const LEVEL_VALUES: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50, dpanic: 55, panic: 58, fatal: 60 };

/** zap's Level.UnmarshalText: lower or upper case names, "" meaning info. */
export function parseLogLevel(text: string): LogLevel {
  const t = text === '' ? 'info' : text;
  if (t === t.toLowerCase() || t === t.toUpperCase()) {
    const l = t.toLowerCase();
    if (l in LEVEL_VALUES) return l as LogLevel;
  }
  throw new Error(`unrecognized level: ${JSON.stringify(text)}`);
}

const STD_OUTPUTS: Record<string, number> = { default: 2, stderr: 2, stdout: 1 };


/** Opens (creating) each file output, failing with zap's `open sink "x": open x: <reason>`. */
export function checkLogOutputs(outputs: readonly string[]): void {
  for (const o of outputs) {
    if (o in STD_OUTPUTS || o === 'systemd/journal') continue;
    try {
      closeSync(openSync(o, 'a', 0o666));
    } catch (err) {
      throw new Error(`open sink ${JSON.stringify(o)}: ${goPathError('open', o, err) ?? `open ${o}: ${(err as Error).message}`}`);
    }
  }
}

/** zap's time format "2006-01-02T15:04:05.000000Z0700", in local time. */
export function formatZapTime(epochMs: number): string {
  const d = new Date(Math.floor(epochMs));
  const micros = Math.floor((epochMs % 1000) * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const offsetMin = -d.getTimezoneOffset();
  const zone = offsetMin === 0 ? 'Z' : `${offsetMin > 0 ? '+' : '-'}${p(Math.floor(Math.abs(offsetMin) / 60))}${p(Math.abs(offsetMin) % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(micros, 6)}${zone}`;
}

/** Microsecond wall clock: performance's origin plus its monotonic offset. */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** zap writes errors as their message and durations as text; JSON has no Error type. */
function normalize(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!fields) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = v instanceof Error ? v.message : v;
  return out;
}

export interface LoggerOptions {
  /** Called after a fatal line; defaults to process.exit(1). */
  exit?: (code: number) => never;
  /** Injected destination (tests); otherwise built from `outputs`. */
  stream?: DestinationStream;
}

function destination(outputs: readonly string[]): DestinationStream {
  const unique = [...new Set(outputs.map((o) => (o === 'default' ? 'stderr' : o)))].filter((o) => o !== 'systemd/journal');
  const streams = (unique.length === 0 ? ['stderr'] : unique).map((o) =>
    o in STD_OUTPUTS ? pino.destination({ fd: STD_OUTPUTS[o]!, sync: true }) : pino.destination({ dest: o, sync: true, append: true, mkdir: false }),
  );
  if (streams.length === 1) return streams[0]!;
  return pino.multistream(
    streams.map((stream) => ({ stream, level: 'debug' as const })),
    { levels: LEVEL_VALUES },
  );
}

/**
 * The member's logger. `level` and `outputs` are --log-level and --log-outputs; both
 * must have passed parseLogLevel/checkLogOutputs (config validation does that).
 */
export function createLogger(level: string, outputs: readonly string[], opts: LoggerOptions = {}): Logger {
  const p = pino(
    {
      level: parseLogLevel(level),
      customLevels: { dpanic: LEVEL_VALUES.dpanic, panic: LEVEL_VALUES.panic },
      base: undefined,
      messageKey: 'msg',
      timestamp: () => `,"ts":"${formatZapTime(nowMs())}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.stream ?? destination(outputs),
  );
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  return wrap(p as PinoLogger<'dpanic' | 'panic'>, '', {}, exit);
}

/** The logger etcd uses before the configured one exists: info level, stderr. */
export function createDefaultLogger(opts: LoggerOptions = {}): Logger {
  return createLogger('info', ['stderr'], opts);
}

function wrap(p: PinoLogger<'dpanic' | 'panic'>, caller: string, bound: Record<string, unknown>, exit: (code: number) => never): Logger {
  // Caller and msg go into the merge object (not pino's message argument) so that they
  // come before the fields, as zap orders them.
  const emit = (level: LogLevel, recordCaller: string, msg: string, fields?: Record<string, unknown>) => {
    const line = { ...(recordCaller !== '' ? { caller: recordCaller } : {}), msg, ...bound, ...normalize(fields) };
    p[level](line);
  };
  const self: Logger = {
    debug: (msg, fields) => emit('debug', caller, msg, fields),
    info: (msg, fields) => emit('info', caller, msg, fields),
    warn: (msg, fields) => emit('warn', caller, msg, fields),
    error: (msg, fields) => emit('error', caller, msg, fields),
    fatal: (msg, fields) => {
      emit('fatal', caller, msg, fields);
      return exit(1);
    },
    write: (r) => emit(r.level, r.caller, r.msg, r.fields),
    child: (c) => wrap(p, c, bound, exit),
    with: (fields) => wrap(p, caller, { ...bound, ...normalize(fields) }, exit),
    enabled: (level) => LEVEL_VALUES[level] >= p.levelVal,
  };
  return self;
}
