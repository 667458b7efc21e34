// etcd's server flags: every flag etcd accepts, with etcd's defaults, parsed into a
// typed configuration and validated with etcd's messages.

import { boolValue, FlagError, parseGoFlags, type FlagSpec } from './go-flags.js';
import { parseUrls } from './urls.js';
import { readConfigFile } from './config-file.js';

export interface ServerConfig {
  name: string;
  dataDir: string;
  walDir: string;
  snapshotCount: number;
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  listenPeerUrls: string[];
  listenClientUrls: string[];
  advertiseClientUrls: string[];
  initialAdvertisePeerUrls: string[];
  initialCluster: Map<string, string[]>;
  initialClusterToken: string;
  initialClusterState: 'new' | 'existing';
  maxSnapshots: number;
  maxWals: number;
  quotaBackendBytes: number;
  maxTxnOps: number;
  maxRequestBytes: number;
  strictReconfigCheck: boolean;
  preVote: boolean;
  autoCompactionMode: string;
  autoCompactionRetention: string;
  forceNewCluster: boolean;
  logLevel: string;
  logger: string;
  logOutputs: string[];
  enableV2: boolean;
  discovery: string;
  discoverySrv: string;
  listenMetricsUrls: string[];
  metrics: string;
  /** Every flag's final text value, for flags not modelled above. */
  raw: Map<string, string>;
  /** Warnings to log once the logger exists (environment variable issues). */
  warnings: string[];
}

const urlsFlag = (value: string): void => {
  parseUrls(value);
};

const oneOf =
  (...allowed: string[]) =>
  (value: string): void => {
    if (!allowed.includes(value)) throw new Error('invalid value');
  };

const s = (name: string, def: string, usage: string, validate?: (v: string) => void): FlagSpec => ({ name, default: def, kind: 'string', usage, validate });
const b = (name: string, def: boolean, usage: string): FlagSpec => ({ name, default: String(def), kind: 'bool', usage });
const u = (name: string, def: number, usage: string): FlagSpec => ({ name, default: String(def), kind: 'uint', usage });
const i = (name: string, def: number, usage: string): FlagSpec => ({ name, default: String(def), kind: 'int', usage });
const d = (name: string, def: string, usage: string): FlagSpec => ({ name, default: def, kind: 'duration', usage });

export const DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

export const SERVER_FLAGS: FlagSpec[] = [
  // member
  s('name', 'default', 'Human-readable name for this member.'),
  s('data-dir', '', 'Path to the data directory.'),
  s('wal-dir', '', 'Path to the dedicated wal directory.'),
  u('snapshot-count', 100000, 'Number of committed transactions to trigger a snapshot to disk.'),
  u('heartbeat-interval', 100, 'Time (in milliseconds) of a heartbeat interval.'),
  u('election-timeout', 1000, 'Time (in milliseconds) for an election to timeout.'),
  b('initial-election-tick-advance', true, 'Whether to fast-forward initial election ticks on boot for faster election.'),
  s('listen-peer-urls', 'http://localhost:2380', 'List of URLs to listen on for peer traffic.', urlsFlag),
  s('listen-client-urls', 'http://localhost:2379', 'List of URLs to listen on for client traffic.', urlsFlag),
  u('max-snapshots', 5, 'Maximum number of snapshot files to retain (0 is unlimited).'),
  u('max-wals', 5, 'Maximum number of wal files to retain (0 is unlimited).'),
  i('quota-backend-bytes', 0, 'Raise alarms when backend size exceeds the given quota (0 defaults to low space quota).'),
  d('backend-batch-interval', '0s', 'BackendBatchInterval is the maximum time before commit the backend transaction.'),
  i('backend-batch-limit', 0, 'BackendBatchLimit is the maximum operations before commit the backend transaction.'),
  u('max-txn-ops', 128, 'Maximum number of operations permitted in a transaction.'),
  u('max-request-bytes', DEFAULT_MAX_REQUEST_BYTES, 'Maximum client request size in bytes the server will accept.'),
  u('max-concurrent-streams', 4294967295, 'Maximum concurrent streams that each client can open at a time.'),
  d('grpc-keepalive-min-time', '5s', 'Minimum interval duration that a client should wait before pinging server.'),
  d('grpc-keepalive-interval', '2h0m0s', 'Frequency duration of server-to-client ping to check if a connection is alive (0 to disable).'),
  d('grpc-keepalive-timeout', '20s', 'Additional duration of wait before closing a non-responsive connection (0 to disable).'),
  s('socket-reuse-port', '', 'Enable to set socket option SO_REUSEPORT on listeners allowing rebinding of a port already in use.'),
  // clustering
  s('initial-advertise-peer-urls', 'http://localhost:2380', "List of this member's peer URLs to advertise to the rest of the cluster.", urlsFlag),
  s('initial-cluster', 'default=http://localhost:2380', 'Initial cluster configuration for bootstrapping.'),
  s('initial-cluster-state', 'new', "Initial cluster state ('new' or 'existing').", oneOf('new', 'existing')),
  s('initial-cluster-token', 'etcd-cluster', 'Initial cluster token for the etcd cluster during bootstrap.'),
  s('advertise-client-urls', 'http://localhost:2379', "List of this member's client URLs to advertise to the public.", urlsFlag),
  s('discovery', '', 'Discovery URL used to bootstrap the cluster.'),
  s('discovery-fallback', 'proxy', "Expected behavior ('exit' or 'proxy') when discovery services fails.", oneOf('exit', 'proxy')),
  s('discovery-proxy', '', 'HTTP proxy to use for traffic to discovery service.'),
  s('discovery-srv', '', 'DNS srv domain used to bootstrap the cluster.'),
  s('discovery-srv-name', '', 'Suffix to the dns srv name queried when bootstrapping.'),
  b('strict-reconfig-check', true, 'Reject reconfiguration requests that would cause quorum loss.'),
  b('pre-vote', true, 'Enable to run an additional Raft election phase.'),
  s('auto-compaction-retention', '0', 'Auto compaction retention length. 0 means disable auto compaction.'),
  s('auto-compaction-mode', 'periodic', "Interpret 'auto-compaction-retention' one of: periodic|revision.", oneOf('periodic', 'revision')),
  b('enable-v2', false, 'Accept etcd V2 client requests.'),
  b('enable-grpc-gateway', true, 'Enable GRPC gateway.'),
  // security
  s('cert-file', '', 'Path to the client server TLS cert file.'),
  s('key-file', '', 'Path to the client server TLS key file.'),
  b('client-cert-auth', false, 'Enable client cert authentication.'),
  s('client-crl-file', '', 'Path to the client certificate revocation list file.'),
  s('client-cert-allowed-hostname', '', 'Allowed TLS hostname for client cert authentication.'),
  s('trusted-ca-file', '', 'Path to the client server TLS trusted CA cert file.'),
  b('auto-tls', false, 'Client TLS using generated certificates'),
  s('peer-cert-file', '', 'Path to the peer server TLS cert file.'),
  s('peer-key-file', '', 'Path to the peer server TLS key file.'),
  b('peer-client-cert-auth', false, 'Enable peer client cert authentication.'),
  s('peer-trusted-ca-file', '', 'Path to the peer server TLS trusted CA file.'),
  s('peer-cert-allowed-cn', '', 'Required CN for client certs connecting to the peer endpoint.'),
  s('peer-cert-allowed-hostname', '', 'Allowed TLS hostname for inter peer authentication.'),
  b('peer-auto-tls', false, 'Peer TLS using self-generated certificates if --peer-key-file and --peer-cert-file are not provided.'),
  u('self-signed-cert-validity', 1, 'The validity period of the client and peer certificates, unit is year.'),
  s('peer-crl-file', '', 'Path to the peer certificate revocation list file.'),
  s('cipher-suites', '', 'Comma-separated list of supported TLS cipher suites between client/server and peers.'),
  s('cors', '*', 'Comma-separated whitelist of origins for CORS, or cross-origin resource sharing.'),
  s('host-whitelist', '*', 'Acceptable hostnames from HTTP client requests, if server is not secure.'),
  s('tls-min-version', 'TLS1.2', 'Minimum TLS version supported by etcd.'),
  s('tls-max-version', '', 'Maximum TLS version supported by etcd.'),
  // auth
  s('auth-token', 'simple', "Specify a v3 authentication token type and its options ('simple' or 'jwt')."),
  u('bcrypt-cost', 10, 'Specify the cost / strength of the bcrypt algorithm for hashing auth passwords.'),
  u('auth-token-ttl', 300, 'The lifetime in seconds of the auth token.'),
  // profiling and monitoring
  b('enable-pprof', false, 'Enable runtime profiling data via HTTP server.'),
  s('metrics', 'basic', "Set level of detail for exported metrics, specify 'extensive' to include server side grpc histogram metrics.", oneOf('basic', 'extensive')),
  s('listen-metrics-urls', '', 'List of URLs to listen on for the metrics and health endpoints.'),
  // logging
  s('logger', 'zap', "Currently only supports 'zap' for structured logging.", oneOf('zap', 'capnslog')),
  s('log-outputs', 'default', "Specify 'stdout' or 'stderr' to skip journald logging even when running under systemd, or list of comma separated output targets."),
  s('log-level', 'info', 'Configures log level. Only supports debug, info, warn, error, panic, or fatal.', oneOf('debug', 'info', 'warn', 'error', 'panic', 'fatal')),
  b('enable-log-rotation', false, 'Enable log rotation of a single log-outputs file target.'),
  s('log-rotation-config-json', '{"maxsize": 100, "maxage": 0, "maxbackups": 0, "localtime": false, "compress": false}', 'Configures log rotation if enabled with a JSON logger config.'),
  // v2 proxy (accepted for compatibility)
  s('proxy', 'off', "Valid values include 'exit', 'readonly', 'on', 'off'", oneOf('exit', 'readonly', 'on', 'off')),
  u('proxy-failure-wait', 5000, 'Time (in milliseconds) an endpoint will be held in a failed state.'),
  u('proxy-refresh-interval', 30000, 'Time (in milliseconds) of the endpoints refresh interval.'),
  u('proxy-dial-timeout', 1000, 'Time (in milliseconds) for a dial to timeout.'),
  u('proxy-write-timeout', 5000, 'Time (in milliseconds) for a write to timeout.'),
  u('proxy-read-timeout', 0, 'Time (in milliseconds) for a read to timeout.'),
  // experimental
  b('experimental-initial-corrupt-check', false, 'Enable to check data corruption before serving any client/peer traffic.'),
  d('experimental-corrupt-check-time', '0s', 'Duration of time between cluster corruption check passes.'),
  b('experimental-enable-v2v3', false, 'Serve v2 requests through the v3 backend under a given prefix.'),
  s('experimental-backend-bbolt-freelist-type', 'map', "ExperimentalBackendFreelistType specifies the type of freelist that boltdb backend uses(array and map are supported types)"),
  b('experimental-enable-lease-checkpoint', false, 'Enable to persist lease remaining TTL to prevent indefinite auto-renewal of long lived leases.'),
  b('experimental-enable-lease-checkpoint-persist', false, 'Enable persisting remainingTTL to prevent indefinite auto-renewal of long lived leases.'),
  u('experimental-compaction-batch-limit', 1000, 'Sets the maximum revisions deleted in each compaction batch.'),
  d('experimental-compaction-sleep-interval', '10ms', 'Sets the sleep interval between each compaction batch.'),
  b('experimental-peer-skip-client-san-verification', false, 'Skip verification of SAN field in client certificate for peer connections.'),
  d('experimental-watch-progress-notify-interval', '10m0s', 'Duration of periodic watch progress notifications.'),
  d('experimental-warning-apply-duration', '100ms', 'Time duration after which a warning is generated if request takes more time.'),
  b('experimental-txn-mode-write-with-shared-buffer', true, 'Enable the write transaction to use a shared buffer in its readonly check operations.'),
  b('experimental-memory-mlock', false, 'Enable to enforce etcd pages (in particular bbolt) to stay in RAM.'),
  u('experimental-snapshot-catchup-entries', 5000, 'Number of entries for a slow follower to catch up after compacting the raft storage entries.'),
  b('experimental-stop-grpc-service-on-defrag', false, 'Enable etcd gRPC service to stop serving client requests on defragmentation.'),
  d('experimental-downgrade-check-time', '5s', 'Duration of time between two downgrade status checks.'),
  u('experimental-max-learners', 1, 'Sets the maximum number of learners that can be available in the cluster membership.'),
  b('force-new-cluster', false, 'Force to create a new one member cluster.'),
  b('unsafe-no-fsync', false, 'Disables fsync, unsafe, will cause data loss.'),
  b('debug', false, 'Enable debug-level logging for etcd. [WARN] Will be deprecated in v3.5.'),
  s('log-package-levels', '', 'Specify a particular log level for each etcd package. [WARN] Will be deprecated in v3.5.'),
  s('config-file', '', 'Path to the server configuration file.'),
  b('version', false, 'Print the version and exit.'),
];

/** Parses `name1=url1,name2=url2` (a name may repeat for several URLs). */
export function parseInitialCluster(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`${part} is not a valid initial cluster member (name=url)`);
    const name = part.slice(0, eq);
    const url = part.slice(eq + 1);
    parseUrls(url);
    out.set(name, [...(out.get(name) ?? []), url]);
  }
  return out;
}

export type ParseOutcome = { kind: 'config'; config: ServerConfig } | { kind: 'version' } | { kind: 'help' } | { kind: 'error'; message: string; exitCode: number };

export function parseServerArgs(argv: string[], env: NodeJS.ProcessEnv): ParseOutcome {
  let parsed: ReturnType<typeof parseGoFlags>;
  try {
    parsed = parseGoFlags(SERVER_FLAGS, argv, env);
  } catch (err) {
    if (err instanceof FlagError) {
      if (err.message === 'help requested') return { kind: 'help' };
      return { kind: 'error', message: err.message, exitCode: 2 };
    }
    throw err;
  }
  if (boolValue(parsed.values.get('version')!)) return { kind: 'version' };
  const configFile = parsed.values.get('config-file')!;
  if (configFile !== '') {
    // The file is the whole configuration: flags and ETCD_* are ignored, as in etcd.
    // Its settings go through the flag parser, so they are validated like flags.
    try {
      const fromFile = readConfigFile(configFile, SERVER_FLAGS);
      parsed = parseGoFlags(SERVER_FLAGS, [...fromFile].map(([k, val]) => `--${k}=${val}`), {});
    } catch (err) {
      return { kind: 'error', message: (err as Error).message, exitCode: 1 };
    }
  }
  const v = parsed.values;
  if (parsed.args.length > 0) {
    return { kind: 'error', message: `'${parsed.args[0]}' is not a valid flag`, exitCode: 1 };
  }
  const name = v.get('name')!;
  const get = (k: string) => v.get(k)!;
  const num = (k: string) => Number(get(k));
  const initialAdvertisePeerUrls = parseUrls(get('initial-advertise-peer-urls'));
  // etcd defaults --initial-cluster to this member alone at its advertised peer URLs.
  const initialClusterText = parsed.set.has('initial-cluster')
    ? get('initial-cluster')
    : parsed.set.has('discovery') || parsed.set.has('discovery-srv')
      ? ''
      : initialAdvertisePeerUrls.map((url) => `${name}=${url}`).join(',');
  let initialCluster: Map<string, string[]>;
  try {
    initialCluster = parseInitialCluster(initialClusterText);
  } catch (err) {
    return { kind: 'error', message: `invalid value "${initialClusterText}" for flag -initial-cluster: ${(err as Error).message}`, exitCode: 2 };
  }
  const heartbeat = num('heartbeat-interval');
  const election = num('election-timeout');
  if (5 * heartbeat > election) {
    return {
      kind: 'error',
      message: `--election-timeout[${election}ms] should be at least as 5 times as --heartbeat-interval[${heartbeat}ms]`,
      exitCode: 1,
    };
  }
  if (election > 50000) {
    return { kind: 'error', message: `--election-timeout[${election}ms] is too long, and should be set less than 50000ms`, exitCode: 1 };
  }
  const config: ServerConfig = {
    name,
    dataDir: get('data-dir') !== '' ? get('data-dir') : `${name}.etcd`,
    walDir: get('wal-dir'),
    snapshotCount: num('snapshot-count'),
    heartbeatIntervalMs: heartbeat,
    electionTimeoutMs: election,
    listenPeerUrls: parseUrls(get('listen-peer-urls')),
    listenClientUrls: parseUrls(get('listen-client-urls')),
    advertiseClientUrls: parseUrls(get('advertise-client-urls')),
    initialAdvertisePeerUrls,
    initialCluster,
    initialClusterToken: get('initial-cluster-token'),
    initialClusterState: get('initial-cluster-state') as 'new' | 'existing',
    maxSnapshots: num('max-snapshots'),
    maxWals: num('max-wals'),
    quotaBackendBytes: num('quota-backend-bytes'),
    maxTxnOps: num('max-txn-ops'),
    maxRequestBytes: num('max-request-bytes'),
    strictReconfigCheck: boolValue(get('strict-reconfig-check')),
    preVote: boolValue(get('pre-vote')),
    autoCompactionMode: get('auto-compaction-mode'),
    autoCompactionRetention: get('auto-compaction-retention'),
    forceNewCluster: boolValue(get('force-new-cluster')),
    logLevel: boolValue(get('debug')) ? 'debug' : get('log-level'),
    logger: get('logger'),
    logOutputs: get('log-outputs').split(','),
    enableV2: boolValue(get('enable-v2')),
    discovery: get('discovery'),
    discoverySrv: get('discovery-srv'),
    listenMetricsUrls: get('listen-metrics-urls') === '' ? [] : parseUrls(get('listen-metrics-urls')),
    metrics: get('metrics'),
    raw: v,
    warnings: parsed.warnings,
  };
  return { kind: 'config', config };
}
