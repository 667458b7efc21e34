// ETCD_* environment variables as etcd 3.5 applies them (pkg/flags.SetFlagsFromEnv):
// a non-empty ETCD_<FLAG> sets a flag the command line left unset (logged as
// "recognized and used environment variable"); a variable shadowed by a command-line
// flag is fatal; any other ETCD_* variable is warned about as unrecognized.
// ETCD_VERSION is special: it is refused with a warning rather than printing a version.

import type { GoFlagSet } from '../pkg/go-flag.js';
import { goQuoteText } from '../pkg/go-quote.js';
import { CALLERS, type LogRecord } from './log-record.js';
import { flagToEnv } from './server-flags.js';

export interface EnvOutcome {
  logs: LogRecord[];
  /** A value that did not parse: `invalid value "x" for ETCD_Y: parse error`. */
  error?: string;
  /** The fatal log line when a variable conflicts with a command-line flag (exit 1). */
  fatal?: LogRecord;
}

export function applyEnvironment(fs: GoFlagSet, env: NodeJS.ProcessEnv, prefix: string): EnvOutcome {
  const logs: LogRecord[] = [];
  const vars = Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined);
  const versionKey = `${prefix}_VERSION`;
  const version = env[versionKey];
  if (version !== undefined && version !== '') {
    logs.push({ level: 'warn', caller: CALLERS.envSpecial, msg: 'cannot set special environment variable', fields: { key: versionKey, value: version } });
  }
  const live = vars.filter(([k, v]) => !(k === versionKey && v !== ''));
  const alreadySet = new Set([...fs.actual].map((n) => flagToEnv(prefix, n)));
  const used = new Set<string>();
  let error: string | undefined;
  for (const name of fs.names()) {
    const key = flagToEnv(prefix, name);
    if (alreadySet.has(key)) continue;
    const value = key === versionKey ? undefined : env[key];
    if (value === undefined || value === '') continue;
    used.add(key);
    try {
      fs.set(name, value);
    } catch (err) {
      error = `invalid value ${goQuoteText(value)} for ${key}: ${(err as Error).message}`;
      continue;
    }
    logs.push({ level: 'info', caller: CALLERS.envUsed, msg: 'recognized and used environment variable', fields: { 'variable-name': key, 'variable-value': value } });
  }
  for (const [k, v] of live) {
    if (used.has(k)) continue;
    if (alreadySet.has(k)) {
      const fatal: LogRecord = {
        level: 'fatal',
        caller: CALLERS.envConflict,
        msg: 'conflicting environment variable is shadowed by corresponding command-line flag (either unset environment variable or disable flag))',
        fields: { 'environment-variable': k },
      };
      return { logs: [...logs, fatal], fatal };
    }
    if (k.startsWith(`${prefix}_`)) {
      logs.push({ level: 'warn', caller: CALLERS.envUnrecognized, msg: 'unrecognized environment variable', fields: { 'environment-variable': `${k}=${v}` } });
    }
  }
  return error === undefined ? { logs } : { logs, error };
}
