// One structured logger for the member, writing etcd 3.5's zap-style JSON lines
// ({"level","ts","caller","msg", fields...}) so log shippers and the operators' greps
// ("ready to serve client requests", "published {Name:...} to cluster ...") keep working.

import pino, { type Logger as PinoLogger } from 'pino';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines carry `caller` (the component) like zap's caller field. */
  child(caller: string): Logger;
}

/** `root` is the caller-less logger, so a child's caller replaces its parent's instead of repeating the key. */
function wrap(p: PinoLogger, root: PinoLogger): Logger {
  return {
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
    child: (caller) => wrap(root.child({ caller }), root),
  };
}

const LEVELS: Record<string, string> = { debug: 'debug', info: 'info', warn: 'warn', error: 'error', panic: 'fatal', fatal: 'fatal' };

/** outputs: etcd's --log-outputs ("default" and "stderr" are stderr, "stdout", or a file path). */
export function createLogger(level: string, outputs: string[]): Logger {
  const target = outputs[0] ?? 'default';
  const fd = target === 'stdout' ? 1 : target === 'default' || target === 'stderr' ? 2 : undefined;
  const dest = fd !== undefined ? pino.destination({ fd, sync: true }) : pino.destination({ dest: target, sync: true, mkdir: true });
  const p = pino(
    {
      level: LEVELS[level] ?? 'info',
      base: undefined,
      messageKey: 'msg',
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    dest,
  );
  return wrap(p, p);
}
