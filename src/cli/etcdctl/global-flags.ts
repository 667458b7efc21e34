// etcdctl's global flags and their ETCDCTL_<FLAG> environment variables. As in etcdctl
// 3.4, the environment is read when a command builds its client, for the flags the
// command inherits: a variable naming a flag also given on the command line is fatal
// ("C |" line, exit 1), one naming no flag is a warning ("W |"), a value the flag
// refuses is ignored. ETCDCTL_API is etcdctl's own and neither; only v3 exists here.

import type { KeepAlive } from '../../client/connection.js';
import { flag, FlagError, type FlagDef, type FlagValues } from './flags.js';

export const GLOBAL_FLAGS: FlagDef[] = [
  flag('endpoints', 'strings', '127.0.0.1:2379', 'gRPC endpoints'),
  flag('debug', 'bool', 'false', 'enable client-side debug logging'),
  flag('write-out', 'string', 'simple', 'set the output format (fields, json, protobuf, simple, table)', 'w'),
  flag('hex', 'bool', 'false', 'print byte strings as hex encoded strings'),
  flag('dial-timeout', 'duration', '2s', 'dial timeout for client connections'),
  flag('command-timeout', 'duration', '5s', 'timeout for short running command (excluding dial timeout)'),
  flag('keepalive-time', 'duration', '2s', 'keepalive time for client connections'),
  flag('keepalive-timeout', 'duration', '6s', 'keepalive timeout for client connections'),
  flag('insecure-transport', 'bool', 'true', 'disable transport security for client connections'),
  flag('insecure-discovery', 'bool', 'true', 'accept insecure SRV records describing cluster endpoints'),
  flag('insecure-skip-tls-verify', 'bool', 'false', 'skip server certificate verification (CAUTION: this option should be enabled only for testing purposes)'),
  flag('cert', 'string', '', 'identify secure client using this TLS certificate file'),
  flag('key', 'string', '', 'identify secure client using this TLS key file'),
  flag('cacert', 'string', '', 'verify certificates of TLS-enabled secure servers using this CA bundle'),
  flag('user', 'string', '', 'username[:password] for authentication (prompt if password is not supplied)'),
  flag('password', 'string', '', "password for authentication (if this option is used, --user option shouldn't include password)"),
  flag('discovery-srv', 'string', '', 'domain name to query for SRV records describing cluster endpoints', 'd'),
  flag('discovery-srv-name', 'string', '', 'service name to query when using DNS discovery'),
];

const ENV_PREFIX = 'ETCDCTL';
/** Variables etcdctl reads itself, never reported as unrecognized. */
const ENV_OWN = new Set(['ETCDCTL_API']);

export function envName(flagName: string): string {
  return `${ENV_PREFIX}_${flagName.toUpperCase().replace(/-/g, '_')}`;
}

/** capnslog's line prefix: local time with microseconds. */
export function capnslogTime(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())} ${p(now.getHours())}:${p(now.getMinutes())}:${p(now.getSeconds())}.${p(now.getMilliseconds(), 3)}000`;
}

/** Thrown for the fatal conflict; the message is the whole stderr line. */
export class FatalLog extends Error {}

/**
 * Applies ETCDCTL_* to `inherited` flags not set on the command line. Returns the
 * warning lines to print; throws FatalLog for a conflict.
 */
export function applyEnv(values: FlagValues, inherited: FlagDef[], env: NodeJS.ProcessEnv, now: Date): string[] {
  const known = new Set(inherited.map((f) => envName(f.name)));
  const warnings: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith(`${ENV_PREFIX}_`) && !known.has(k) && !ENV_OWN.has(k)) {
      warnings.push(`${capnslogTime(now)} W | pkg/flags: unrecognized environment variable ${k}=${v}`);
    }
  }
  for (const f of [...inherited].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const v = env[envName(f.name)];
    if (v === undefined) continue;
    if (values.isChanged(f.name)) {
      throw new FatalLog(
        `${capnslogTime(now)} C | pkg/flags: conflicting environment variable "${envName(f.name)}" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)`,
      );
    }
    try {
      values.set(f.name, v);
    } catch (e) {
      if (!(e instanceof FlagError)) throw e;
    }
  }
  return warnings;
}

/** --debug's dump of every inherited flag as an environment assignment. */
export function debugDump(values: FlagValues, inherited: FlagDef[]): string[] {
  return [...inherited].sort((a, b) => (a.name < b.name ? -1 : 1)).map((f) => `${envName(f.name)}=${values.display(f.name)}`);
}

/** The client keep-alive the global flags ask for (the connection applies grpc-go's 10 s floor). */
export function keepAliveFlags(f: FlagValues): KeepAlive {
  return { timeMs: f.durationMs('keepalive-time'), timeoutMs: f.durationMs('keepalive-timeout') };
}
