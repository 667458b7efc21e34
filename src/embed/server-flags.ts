// Every flag etcd 3.5.17's server accepts, with etcd's defaults and value syntax. The
// kinds mirror the Go flag.Value types etcd registers, because each has its own error
// text: built-in numbers say "parse error", etcd's uint32 flag says
// `strconv.ParseUint: parsing "x": invalid syntax`, choice flags say "invalid value".

import { type GoFlagDef } from '../pkg/go-flag.js';
import { GoNumError, parseGoBool, parseGoDuration, parseGoInt, parseGoUint } from '../pkg/go-strconv.js';
import { compareText, uniqueUrls } from '../pkg/go-url.js';

/** Go's flag package hides strconv detail for its own numeric and boolean flags. */
const builtin = <T>(parse: (text: string) => T) => (text: string): T => {
  try {
    return parse(text);
  } catch (err) {
    if (err instanceof GoNumError) throw new Error(err.flagText);
    throw new Error('parse error');
  }
};

const str = (name: string, def: string): GoFlagDef<string> => ({ name, defaultValue: def, parse: (t) => t });
const bool = (name: string, def: boolean): GoFlagDef<boolean> => ({ name, defaultValue: def, isBool: true, parse: builtin(parseGoBool) });
/** Go `uint`/`uint64` (64-bit): a JS number, exact up to 2^53. */
const uint = (name: string, def: number): GoFlagDef<number> => ({ name, defaultValue: def, parse: builtin((t) => Number(parseGoUint(t, 64))) });
const int = (name: string, def: number): GoFlagDef<number> => ({ name, defaultValue: def, parse: builtin((t) => Number(parseGoInt(t, 64))) });
/** Go `time.Duration`, held in milliseconds. */
const duration = (name: string, defMs: number): GoFlagDef<number> => ({ name, defaultValue: defMs, parse: builtin(parseGoDuration) });

/** etcd's flags.uint32Value: strconv's own error text comes through. */
const uint32 = (name: string, def: number): GoFlagDef<number> => ({ name, defaultValue: def, parse: (t) => Number(parseGoUint(t, 32)) });

/**
 * etcd's UniqueURLs: validated, sorted, de-duplicated. An "exception" text (the empty
 * string for most URL flags, "*" for --cors) is accepted without touching the URL list.
 */
const urls = (name: string, def: string, exception = ''): GoFlagDef<string[]> => ({
  name,
  defaultValue: def === '' ? [] : def === exception ? [def] : uniqueUrls(def),
  parse: (t, current) => (t === exception ? (exception === '*' ? [...new Set([...current, t])] : current) : uniqueUrls(t)),
});

/** etcd's StringsValue: a comma list, order kept. */
const strings = (name: string): GoFlagDef<string[]> => ({ name, defaultValue: [], parse: (t) => t.split(',') });

/** etcd's UniqueStringsValue: a comma list as a sorted set. */
const uniqueStrings = (name: string, def: string): GoFlagDef<string[]> => ({
  name,
  defaultValue: def === '' ? [] : [def],
  parse: (t) => [...new Set(t.split(','))].sort(compareText),
});

/** etcd's SelectiveStringValue. */
const choice = (name: string, valid: string[]): GoFlagDef<string> => ({
  name,
  defaultValue: valid[0]!,
  parse: (t) => {
    if (!valid.includes(t)) throw new Error('invalid value');
    return t;
  },
});

/** etcd's SelectiveStringsValue (each set appends, the whole stays sorted). */
const choices = (name: string, valid: string[]): GoFlagDef<string[]> => ({
  name,
  defaultValue: [],
  parse: (t, current) => {
    const next = [...current];
    for (const v of t.split(',')) {
      if (!valid.includes(v)) throw new Error(`invalid value ${JSON.stringify(v)}`);
      next.push(v);
    }
    return next.sort(compareText);
  },
});

/** Flags of etcd 0.4 and Go test binaries: accepted as booleans and ignored. */
export const IGNORED_FLAGS = [
  'cluster-active-size',
  'cluster-remove-delay',
  'cluster-sync-interval',
  'config',
  'force',
  'max-result-buffer',
  'max-retry-attempts',
  'peer-heartbeat-interval',
  'peer-election-timeout',
  'retry-interval',
  'snapshot',
  'v',
  'vv',
  'test.coverprofile',
  'test.outputdir',
];
const ignored = (name: string): GoFlagDef<null> => ({ name, defaultValue: null, isBool: true, parse: () => null });

export const DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
export const DEFAULT_SNAPSHOT_COUNT = 100_000;
export const DEFAULT_SNAPSHOT_CATCHUP_ENTRIES = 5000;
export const DEFAULT_MAX_CONCURRENT_STREAMS = 0xffff_ffff;
export const DEFAULT_LOG_ROTATION_CONFIG = '{"maxsize": 100, "maxage": 0, "maxbackups": 0, "localtime": false, "compress": false}';
export const V2_DEPRECATION_LEVELS = ['not-yet', 'write-only', 'write-only-drop-data', 'gone'];

/** etcd 3.5.17's server flags, in the order etcd registers them. */
export const SERVER_FLAG_DEFS: readonly GoFlagDef[] = [
  str('config-file', ''),
  // member
  str('data-dir', ''),
  str('wal-dir', ''),
  urls('listen-peer-urls', 'http://localhost:2380'),
  urls('listen-client-urls', 'http://localhost:2379'),
  urls('listen-client-http-urls', ''),
  urls('listen-metrics-urls', ''),
  uint('max-snapshots', 5),
  uint('max-wals', 5),
  str('name', 'default'),
  uint('snapshot-count', DEFAULT_SNAPSHOT_COUNT),
  uint('heartbeat-interval', 100),
  uint('election-timeout', 1000),
  bool('initial-election-tick-advance', true),
  int('quota-backend-bytes', 0),
  str('backend-bbolt-freelist-type', 'map'),
  duration('backend-batch-interval', 0),
  int('backend-batch-limit', 0),
  uint('max-txn-ops', 128),
  uint('max-request-bytes', DEFAULT_MAX_REQUEST_BYTES),
  duration('grpc-keepalive-min-time', 5_000),
  duration('grpc-keepalive-interval', 2 * 3_600_000),
  duration('grpc-keepalive-timeout', 20_000),
  bool('socket-reuse-port', false),
  bool('socket-reuse-address', false),
  uint32('max-concurrent-streams', DEFAULT_MAX_CONCURRENT_STREAMS),
  duration('raft-read-timeout', 5_000),
  duration('raft-write-timeout', 5_000),
  // clustering
  urls('initial-advertise-peer-urls', 'http://localhost:2380'),
  urls('advertise-client-urls', 'http://localhost:2379'),
  str('discovery', ''),
  choice('discovery-fallback', ['proxy', 'exit']),
  str('discovery-proxy', ''),
  str('discovery-srv', ''),
  str('discovery-srv-name', ''),
  str('initial-cluster', 'default=http://localhost:2380'),
  str('initial-cluster-token', 'etcd-cluster'),
  choice('initial-cluster-state', ['new', 'existing']),
  bool('strict-reconfig-check', true),
  bool('pre-vote', true),
  bool('enable-v2', false),
  str('experimental-enable-v2v3', ''),
  choices('v2-deprecation', V2_DEPRECATION_LEVELS),
  // v2 proxy
  choice('proxy', ['off', 'readonly', 'on']),
  uint('proxy-failure-wait', 5000),
  uint('proxy-refresh-interval', 30000),
  uint('proxy-dial-timeout', 1000),
  uint('proxy-write-timeout', 5000),
  uint('proxy-read-timeout', 0),
  // security
  str('cert-file', ''),
  str('key-file', ''),
  str('client-cert-file', ''),
  str('client-key-file', ''),
  bool('client-cert-auth', false),
  str('client-crl-file', ''),
  strings('client-cert-allowed-hostname'),
  str('trusted-ca-file', ''),
  bool('auto-tls', false),
  str('peer-cert-file', ''),
  str('peer-key-file', ''),
  str('peer-client-cert-file', ''),
  str('peer-client-key-file', ''),
  bool('peer-client-cert-auth', false),
  str('peer-trusted-ca-file', ''),
  bool('peer-auto-tls', false),
  uint('self-signed-cert-validity', 1),
  str('peer-crl-file', ''),
  strings('peer-cert-allowed-cn'),
  strings('peer-cert-allowed-hostname'),
  strings('cipher-suites'),
  bool('experimental-peer-skip-client-san-verification', false),
  str('tls-min-version', 'TLS1.2'),
  str('tls-max-version', ''),
  urls('cors', '*', '*'),
  uniqueStrings('host-whitelist', '*'),
  // logging
  str('logger', 'zap'),
  uniqueStrings('log-outputs', 'default'),
  str('log-level', 'info'),
  bool('enable-log-rotation', false),
  str('log-rotation-config-json', DEFAULT_LOG_ROTATION_CONFIG),
  bool('version', false),
  str('auto-compaction-retention', '0'),
  str('auto-compaction-mode', 'periodic'),
  bool('enable-pprof', false),
  str('metrics', 'basic'),
  // distributed tracing
  bool('experimental-enable-distributed-tracing', false),
  str('experimental-distributed-tracing-address', 'localhost:4317'),
  str('experimental-distributed-tracing-service-name', 'etcd'),
  str('experimental-distributed-tracing-instance-id', ''),
  int('experimental-distributed-tracing-sampling-rate', 0),
  // auth
  str('auth-token', 'simple'),
  uint('bcrypt-cost', 10),
  uint('auth-token-ttl', 300),
  bool('enable-grpc-gateway', true),
  // experimental (0 means "the server's default" for the compaction and watch knobs)
  bool('experimental-initial-corrupt-check', false),
  duration('experimental-corrupt-check-time', 0),
  bool('experimental-compact-hash-check-enabled', false),
  duration('experimental-compact-hash-check-time', 60_000),
  bool('experimental-enable-lease-checkpoint', false),
  bool('experimental-enable-lease-checkpoint-persist', false),
  int('experimental-compaction-batch-limit', 0),
  duration('experimental-compaction-sleep-interval', 0),
  duration('experimental-watch-progress-notify-interval', 0),
  duration('experimental-downgrade-check-time', 5_000),
  duration('experimental-warning-apply-duration', 100),
  bool('experimental-memory-mlock', false),
  bool('experimental-txn-mode-write-with-shared-buffer', true),
  bool('experimental-stop-grpc-service-on-defrag', false),
  uint('experimental-bootstrap-defrag-threshold-megabytes', 0),
  uint('experimental-snapshot-catchup-entries', DEFAULT_SNAPSHOT_CATCHUP_ENTRIES),
  // unsafe
  bool('unsafe-no-fsync', false),
  bool('force-new-cluster', false),
  ...IGNORED_FLAGS.map(ignored),
];

/** `ETCD_` + the flag name upper-cased with `-` as `_` (etcd's flags.FlagToEnv). */
export function flagToEnv(prefix: string, name: string): string {
  return `${prefix}_${name.toUpperCase().replace(/-/g, '_')}`;
}
