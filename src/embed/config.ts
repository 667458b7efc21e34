// etcd's server configuration: flags (Go `flag` semantics), `ETCD_*` environment
// variables, or a `--config-file`, turned into a typed ServerConfig and validated with
// etcd 3.5's rules and messages. Nothing here starts anything; the outcome says what
// etcd would print and with which exit code, so `main` only has to write it out.
//
// Order of events, as in etcd 3.5's etcdmain:
//   1. parse the command line (errors: Go flag text + usage on stderr, exit 2);
//   2. stray arguments → "'x' is not a valid flag"; --version → version block, exit 0;
//   3. --config-file (or ETCD_CONFIG_FILE) replaces flags and environment entirely,
//      otherwise ETCD_* fill the flags the command line left unset;
//   4. validate (errors: a "failed to verify flags" warning, exit 1).

import { byteStringText } from '../pkg/byte-string.js';
import { GoFlagError, GoFlagSet } from '../pkg/go-flag.js';
import { formatGoDuration } from '../pkg/go-strconv.js';
import { checkBindUrls, checkHostUrls, parseUrlsMap } from '../pkg/go-url.js';
import { readConfigFile } from './config-file.js';
import { applyEnvironment } from './env-flags.js';
import { FLAGS_HELP, USAGE_LINE, versionText } from './help-text.js';
import { CALLERS, type LogRecord } from './log-record.js';
import { checkLogOutputs, parseLogLevel } from './logger.js';
import { DEFAULT_MAX_REQUEST_BYTES, SERVER_FLAG_DEFS } from './server-flags.js';

export { DEFAULT_MAX_REQUEST_BYTES };

export const DEFAULT_NAME = 'default';
/** --initial-cluster's default text; etcd swaps it for `<name>=<peer urls>` when only --name is given. */
export const DEFAULT_INITIAL_CLUSTER = 'default=http://localhost:2380';
/** etcd refuses election timeouts above this (maxElectionMs). */
export const MAX_ELECTION_TIMEOUT_MS = 50_000;

export const ERR_CONFLICT_BOOTSTRAP_FLAGS =
  'multiple discovery or bootstrap flags are set. Choose one of "initial-cluster", "discovery" or "discovery-srv"';
export const ERR_UNSET_ADVERTISE_CLIENT_URLS = '--advertise-client-urls is required when --listen-client-urls is set explicitly';

export interface TlsConfig {
  certFile: string;
  keyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  clientCertAuth: boolean;
  trustedCaFile: string;
  crlFile: string;
  autoTls: boolean;
  allowedHostnames: string[];
  /** Peer side only. */
  allowedCns: string[];
  /** Set by --auto-tls / --peer-auto-tls (auto-tls.ts): peers' certificates are not verified either. */
  selfSigned?: boolean;
}

export interface ServerConfig {
  name: string;
  /** `${name}.etcd` when --data-dir is not given. */
  dataDir: string;
  /** "" means `<data-dir>/member/wal`. */
  walDir: string;
  listenPeerUrls: string[];
  listenClientUrls: string[];
  listenClientHttpUrls: string[];
  listenMetricsUrls: string[];
  /** Empty only when the proxy could serve without them. */
  advertiseClientUrls: string[];
  initialAdvertisePeerUrls: string[];
  /** The --initial-cluster text after etcd's defaulting ("" with discovery). */
  initialClusterText: string;
  /** Parsed --initial-cluster: member name → sorted peer URLs; empty if the text is invalid. */
  initialCluster: Map<string, string[]>;
  /** etcd reports a bad --initial-cluster only at start-up ("error setting up initial cluster: ..."). */
  initialClusterError: string | undefined;
  initialClusterToken: string;
  initialClusterState: 'new' | 'existing';
  snapshotCount: number;
  snapshotCatchUpEntries: number;
  maxSnapshots: number;
  maxWals: number;
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  initialElectionTickAdvance: boolean;
  /** 0 = the default quota. */
  quotaBackendBytes: number;
  backendBatchIntervalMs: number;
  backendBatchLimit: number;
  maxTxnOps: number;
  maxRequestBytes: number;
  maxConcurrentStreams: number;
  grpcKeepAliveMinTimeMs: number;
  grpcKeepAliveIntervalMs: number;
  grpcKeepAliveTimeoutMs: number;
  raftReadTimeoutMs: number;
  raftWriteTimeoutMs: number;
  strictReconfigCheck: boolean;
  preVote: boolean;
  autoCompactionMode: string;
  autoCompactionRetention: string;
  forceNewCluster: boolean;
  unsafeNoFsync: boolean;
  enableV2: boolean;
  v2Deprecation: string;
  discovery: string;
  discoveryFallback: string;
  discoveryProxy: string;
  discoverySrv: string;
  discoverySrvName: string;
  proxy: string;
  clientTls: TlsConfig;
  peerTls: TlsConfig;
  selfSignedCertValidityYears: number;
  cipherSuites: string[];
  tlsMinVersion: string;
  tlsMaxVersion: string;
  cors: string[];
  hostWhitelist: string[];
  authToken: string;
  bcryptCost: number;
  authTokenTtlSeconds: number;
  enableGrpcGateway: boolean;
  enablePprof: boolean;
  /** "basic" or "extensive". */
  metrics: string;
  logger: string;
  logLevel: string;
  logOutputs: string[];
  enableLogRotation: boolean;
  logRotationConfigJson: string;
  experimental: {
    initialCorruptCheck: boolean;
    corruptCheckTimeMs: number;
    compactHashCheckEnabled: boolean;
    compactHashCheckTimeMs: number;
    enableLeaseCheckpoint: boolean;
    enableLeaseCheckpointPersist: boolean;
    /** 0 = server default (1000). */
    compactionBatchLimit: number;
    /** 0 = server default (10ms). */
    compactionSleepIntervalMs: number;
    /** 0 = server default (10m). */
    watchProgressNotifyIntervalMs: number;
    downgradeCheckTimeMs: number;
    warningApplyDurationMs: number;
    memoryMlock: boolean;
    txnModeWriteWithSharedBuffer: boolean;
    stopGrpcServiceOnDefrag: boolean;
    bootstrapDefragThresholdMegabytes: number;
    peerSkipClientSanVerification: boolean;
    enableDistributedTracing: boolean;
    distributedTracingAddress: string;
    distributedTracingServiceName: string;
    distributedTracingInstanceId: string;
    distributedTracingSamplingRate: number;
  };
  /** Every flag's final value by flag name, for anything not modelled above. */
  flags: ReadonlyMap<string, unknown>;
  /** Names of flags set on the command line, by ETCD_* or by the config file. */
  explicitlySet: ReadonlySet<string>;
  /** Text of the warnings among `logs` (kept for callers that only print strings). */
  warnings: string[];
}

/** What etcd would do with these arguments. Write `stdout`/`stderr`, then the logs, then exit. */
export type ParseOutcome =
  | { kind: 'config'; config: ServerConfig; logs: LogRecord[] }
  | { kind: 'version'; stdout: string; exitCode: 0 }
  | { kind: 'help'; stdout: string; stderr: string; exitCode: 0 }
  | {
      kind: 'error';
      /** The error itself, e.g. `flag provided but not defined: -bogus`. */
      message: string;
      /** 2 for command-line syntax (Go flag), 1 for verification, 2 for a bad --log-level (zap panics). */
      exitCode: number;
      /** Raw text etcd writes to stderr before any log line (flag errors, panics). */
      stderr: string;
      /** Log lines etcd writes (JSON, through the default or configured logger). */
      logs: LogRecord[];
    };

export interface ParseOptions {
  /** os.Args[0] as etcd logs it in "Running: ". */
  argv0?: string;
}

class VerifyError extends Error {}

/** Parses etcd's server command line and environment. */
export function parseServerArgs(argv: readonly string[], env: NodeJS.ProcessEnv, opts: ParseOptions = {}): ParseOutcome {
  // The words as text for the log lines; the flag parser keeps the bytes for its messages.
  const args = [opts.argv0 ?? 'etcd', ...argv.map(byteStringText)];
  let fs = new GoFlagSet(SERVER_FLAG_DEFS);
  try {
    fs.parse(argv);
  } catch (err) {
    if (!(err instanceof GoFlagError)) throw err;
    if (err.help) return { kind: 'help', stdout: `${FLAGS_HELP}\n\n`, stderr: `${USAGE_LINE}\n`, exitCode: 0 };
    return { kind: 'error', message: err.message, exitCode: 2, stderr: `${err.message}\n${USAGE_LINE}\n`, logs: [] };
  }
  const logs: LogRecord[] = [];
  const fail = (message: string, extra: LogRecord[] = []): ParseOutcome => ({
    kind: 'error',
    message,
    exitCode: 1,
    stderr: '',
    logs: [
      ...logs,
      { level: 'info', caller: CALLERS.running, msg: 'Running: ', fields: { args } },
      { level: 'warn', caller: CALLERS.verifyFailed, msg: 'failed to verify flags', fields: { error: message } },
      ...extra,
    ],
  });
  if (fs.args.length > 0) return fail(`'${byteStringText(fs.args[0]!)}' is not a valid flag`);
  if (fs.get<boolean>('version')) return { kind: 'version', stdout: versionText(), exitCode: 0 };

  const configFile = fs.get<string>('config-file') || (env.ETCD_CONFIG_FILE ?? '');
  if (configFile !== '') {
    // The file is the whole configuration: flags and ETCD_* are ignored, as in etcd.
    try {
      const fromFile = readConfigFile(configFile);
      fs = new GoFlagSet(SERVER_FLAG_DEFS);
      for (const [k, v] of fromFile) {
        if (!fs.has(k)) continue;
        try {
          fs.set(k, v);
        } catch (err) {
          return fail(`invalid value ${JSON.stringify(v)} for ${k}: ${(err as Error).message}`);
        }
      }
    } catch (err) {
      return fail((err as Error).message);
    }
    logs.push({
      level: 'info',
      caller: CALLERS.configFile,
      msg: 'loaded server configuration, other configuration command line flags and environment variables will be ignored if provided',
      fields: { path: configFile },
    });
  } else {
    const envOutcome = applyEnvironment(fs, env, 'ETCD');
    logs.push(...envOutcome.logs);
    if (envOutcome.fatal) {
      return { kind: 'error', message: envOutcome.fatal.msg, exitCode: 1, stderr: '', logs };
    }
    if (envOutcome.error !== undefined) return fail(envOutcome.error);
  }

  let config: ServerConfig;
  try {
    config = buildConfig(fs, logs);
  } catch (err) {
    if (err instanceof LevelPanic) {
      const text = `panic: ${err.message}\n\ngoroutine 1 [running]:\ngo.etcd.io/etcd/client/pkg/v3/logutil.ConvertToZapLevel(...)\n`;
      return { kind: 'error', message: err.message, exitCode: 2, stderr: text, logs };
    }
    if (!(err instanceof VerifyError)) throw err;
    const extra: LogRecord[] =
      err.message === ERR_UNSET_ADVERTISE_CLIENT_URLS
        ? [{ level: 'warn', caller: CALLERS.advertiseUnset, msg: 'advertise client URLs are not set', fields: { error: err.message } }]
        : [];
    return fail(err.message, extra);
  }
  logs.push({ level: 'info', caller: CALLERS.running, msg: 'Running: ', fields: { args } });
  if (!fs.isSet('data-dir') || fs.get<string>('data-dir') === '') {
    logs.push({ level: 'warn', caller: CALLERS.dataDirDefault, msg: "'data-dir' was empty; using default", fields: { 'data-dir': config.dataDir } });
  }
  config.warnings = logs.filter((l) => l.level === 'warn').map((l) => l.msg);
  return { kind: 'config', config, logs };
}

/** A bad --log-level: zap panics in etcd, exiting 2 with a Go panic on stderr. */
class LevelPanic extends Error {}

function tlsFrom(fs: GoFlagSet, peer: boolean): TlsConfig {
  const p = peer ? 'peer-' : '';
  return {
    certFile: fs.get(`${p}cert-file`),
    keyFile: fs.get(`${p}key-file`),
    clientCertFile: fs.get(peer ? 'peer-client-cert-file' : 'client-cert-file'),
    clientKeyFile: fs.get(peer ? 'peer-client-key-file' : 'client-key-file'),
    clientCertAuth: fs.get(peer ? 'peer-client-cert-auth' : 'client-cert-auth'),
    trustedCaFile: fs.get(peer ? 'peer-trusted-ca-file' : 'trusted-ca-file'),
    crlFile: fs.get(peer ? 'peer-crl-file' : 'client-crl-file'),
    autoTls: fs.get(peer ? 'peer-auto-tls' : 'auto-tls'),
    allowedHostnames: fs.get(peer ? 'peer-cert-allowed-hostname' : 'client-cert-allowed-hostname'),
    allowedCns: peer ? fs.get('peer-cert-allowed-cn') : [],
  };
}

/** etcd's --initial-cluster defaulting (InitialClusterFromName / UpdateDefaultClusterFromName). */
function initialClusterText(fs: GoFlagSet, name: string, advertisePeerUrls: string[]): string {
  const text = fs.get<string>('initial-cluster');
  const discovering = fs.get<string>('discovery') !== '' || fs.get<string>('discovery-srv') !== '' || fs.get<string>('discovery-srv-name') !== '';
  if (discovering && !fs.isSet('initial-cluster')) return '';
  if (name !== DEFAULT_NAME && text === DEFAULT_INITIAL_CLUSTER) {
    const n = name === '' ? DEFAULT_NAME : name;
    return advertisePeerUrls.map((u) => `${n}=${u}`).join(',');
  }
  return text;
}

const TLS_VERSIONS = ['', 'TLS1.2', 'TLS1.3'];

function buildConfig(fs: GoFlagSet, logs: LogRecord[]): ServerConfig {
  const get = <T>(k: string) => fs.get<T>(k);
  const name = get<string>('name');
  const proxy = get<string>('proxy');
  const discovery = get<string>('discovery');
  const mayBeProxy = proxy !== 'off' || (discovery !== '' && get<string>('discovery-fallback') === 'proxy');
  let advertiseClientUrls = get<string[]>('advertise-client-urls');
  if (!mayBeProxy && fs.isSet('listen-client-urls') && !fs.isSet('advertise-client-urls')) advertiseClientUrls = [];
  const initialAdvertisePeerUrls = get<string[]>('initial-advertise-peer-urls');
  const clusterText = initialClusterText(fs, name, initialAdvertisePeerUrls);
  let initialCluster = new Map<string, string[]>();
  let initialClusterError: string | undefined;
  try {
    initialCluster = parseUrlsMap(clusterText);
  } catch (err) {
    initialClusterError = (err as Error).message;
  }
  const v2 = get<string[]>('v2-deprecation');
  const cfg: ServerConfig = {
    name,
    dataDir: get<string>('data-dir') !== '' ? get<string>('data-dir') : `${name}.etcd`,
    walDir: get('wal-dir'),
    listenPeerUrls: get('listen-peer-urls'),
    listenClientUrls: get('listen-client-urls'),
    listenClientHttpUrls: get('listen-client-http-urls'),
    listenMetricsUrls: get('listen-metrics-urls'),
    advertiseClientUrls,
    initialAdvertisePeerUrls,
    initialClusterText: clusterText,
    initialCluster,
    initialClusterError,
    initialClusterToken: get('initial-cluster-token'),
    initialClusterState: get('initial-cluster-state'),
    snapshotCount: get('snapshot-count'),
    snapshotCatchUpEntries: get('experimental-snapshot-catchup-entries'),
    maxSnapshots: get('max-snapshots'),
    maxWals: get('max-wals'),
    heartbeatIntervalMs: get('heartbeat-interval'),
    electionTimeoutMs: get('election-timeout'),
    initialElectionTickAdvance: get('initial-election-tick-advance'),
    quotaBackendBytes: get('quota-backend-bytes'),
    backendBatchIntervalMs: get('backend-batch-interval'),
    backendBatchLimit: get('backend-batch-limit'),
    maxTxnOps: get('max-txn-ops'),
    maxRequestBytes: get('max-request-bytes'),
    maxConcurrentStreams: get('max-concurrent-streams'),
    grpcKeepAliveMinTimeMs: get('grpc-keepalive-min-time'),
    grpcKeepAliveIntervalMs: get('grpc-keepalive-interval'),
    grpcKeepAliveTimeoutMs: get('grpc-keepalive-timeout'),
    // etcd raises raft connection timeouts below 5s to 5s.
    raftReadTimeoutMs: Math.max(5_000, get<number>('raft-read-timeout')),
    raftWriteTimeoutMs: Math.max(5_000, get<number>('raft-write-timeout')),
    strictReconfigCheck: get('strict-reconfig-check'),
    preVote: get('pre-vote'),
    autoCompactionMode: get('auto-compaction-mode'),
    autoCompactionRetention: get('auto-compaction-retention'),
    forceNewCluster: get('force-new-cluster'),
    unsafeNoFsync: get('unsafe-no-fsync'),
    enableV2: get('enable-v2'),
    v2Deprecation: v2.length === 0 ? 'not-yet' : v2.join(','),
    discovery,
    discoveryFallback: get('discovery-fallback'),
    discoveryProxy: get('discovery-proxy'),
    discoverySrv: get('discovery-srv'),
    discoverySrvName: get('discovery-srv-name'),
    proxy,
    clientTls: tlsFrom(fs, false),
    peerTls: tlsFrom(fs, true),
    selfSignedCertValidityYears: get('self-signed-cert-validity'),
    cipherSuites: get('cipher-suites'),
    tlsMinVersion: get('tls-min-version'),
    tlsMaxVersion: get('tls-max-version'),
    cors: get('cors'),
    hostWhitelist: get('host-whitelist'),
    authToken: get('auth-token'),
    bcryptCost: get('bcrypt-cost'),
    authTokenTtlSeconds: get('auth-token-ttl'),
    enableGrpcGateway: get('enable-grpc-gateway'),
    enablePprof: get('enable-pprof'),
    metrics: get('metrics'),
    logger: get('logger'),
    logLevel: get('log-level'),
    logOutputs: get<string[]>('log-outputs').length === 0 ? ['default'] : get('log-outputs'),
    enableLogRotation: get('enable-log-rotation'),
    logRotationConfigJson: get('log-rotation-config-json'),
    experimental: {
      initialCorruptCheck: get('experimental-initial-corrupt-check'),
      corruptCheckTimeMs: get('experimental-corrupt-check-time'),
      compactHashCheckEnabled: get('experimental-compact-hash-check-enabled'),
      compactHashCheckTimeMs: get('experimental-compact-hash-check-time'),
      enableLeaseCheckpoint: get('experimental-enable-lease-checkpoint'),
      enableLeaseCheckpointPersist: get('experimental-enable-lease-checkpoint-persist'),
      compactionBatchLimit: get('experimental-compaction-batch-limit'),
      compactionSleepIntervalMs: get('experimental-compaction-sleep-interval'),
      watchProgressNotifyIntervalMs: get('experimental-watch-progress-notify-interval'),
      downgradeCheckTimeMs: get('experimental-downgrade-check-time'),
      warningApplyDurationMs: get('experimental-warning-apply-duration'),
      memoryMlock: get('experimental-memory-mlock'),
      txnModeWriteWithSharedBuffer: get('experimental-txn-mode-write-with-shared-buffer'),
      stopGrpcServiceOnDefrag: get('experimental-stop-grpc-service-on-defrag'),
      bootstrapDefragThresholdMegabytes: get('experimental-bootstrap-defrag-threshold-megabytes'),
      peerSkipClientSanVerification: get('experimental-peer-skip-client-san-verification'),
      enableDistributedTracing: get('experimental-enable-distributed-tracing'),
      distributedTracingAddress: get('experimental-distributed-tracing-address'),
      distributedTracingServiceName: get('experimental-distributed-tracing-service-name'),
      distributedTracingInstanceId: get('experimental-distributed-tracing-instance-id'),
      distributedTracingSamplingRate: get('experimental-distributed-tracing-sampling-rate'),
    },
    flags: new Map(fs.names().map((n) => [n, fs.get(n)])),
    explicitlySet: new Set(fs.actual),
    warnings: [],
  };
  validate(cfg, mayBeProxy, logs);
  return cfg;
}

/** etcd 3.5's embed.Config.Validate, in its order, with its messages. */
function validate(cfg: ServerConfig, mayBeProxy: boolean, logs: LogRecord[]): void {
  const bad = (msg: string): never => {
    throw new VerifyError(msg);
  };
  // setupLogging
  if (cfg.logger === 'capnslog') bad('--logger=capnslog is removed in v3.5');
  if (cfg.logger !== 'zap') bad(`unknown logger option ${JSON.stringify(cfg.logger)}`);
  if (cfg.logOutputs.length > 1 && cfg.logOutputs.includes('default')) bad('multi logoutput for "default" is not supported yet');
  if (cfg.enableLogRotation) {
    const files = cfg.logOutputs.filter((o) => !['default', 'stderr', 'stdout', 'systemd/journal'].includes(o));
    if (cfg.logOutputs.length !== 1 || files.length !== 1) bad('--log-outputs requires a single file path when --log-rotate-config-json is defined');
  }
  try {
    parseLogLevel(cfg.logLevel);
  } catch (err) {
    throw new LevelPanic((err as Error).message);
  }
  try {
    checkLogOutputs(cfg.logOutputs);
  } catch (err) {
    bad((err as Error).message);
  }
  const wrap = (f: () => void) => {
    try {
      f();
    } catch (err) {
      bad((err as Error).message);
    }
  };
  wrap(() => checkBindUrls(cfg.listenPeerUrls));
  wrap(() => checkBindUrls(cfg.listenClientUrls));
  wrap(() => checkBindUrls(cfg.listenClientHttpUrls));
  if (cfg.listenClientHttpUrls.length === 0) {
    logs.push({ level: 'warn', caller: CALLERS.singlePort, msg: 'Running http and grpc server on single port. This is not recommended for production.' });
  }
  wrap(() => checkBindUrls(cfg.listenMetricsUrls));
  try {
    checkHostUrls(cfg.initialAdvertisePeerUrls);
  } catch (err) {
    bad(`--initial-advertise-peer-urls ${JSON.stringify(cfg.initialAdvertisePeerUrls.join(','))} must be "host:port" (${(err as Error).message})`);
  }
  try {
    checkHostUrls(cfg.advertiseClientUrls);
  } catch (err) {
    bad(`--advertise-client-urls ${JSON.stringify(cfg.advertiseClientUrls.join(','))} must be "host:port" (${(err as Error).message})`);
  }
  const bootstraps = [cfg.discovery !== '', cfg.initialClusterText !== '', cfg.discoverySrv !== ''].filter(Boolean).length;
  if (bootstraps > 1) bad(ERR_CONFLICT_BOOTSTRAP_FLAGS);
  if (cfg.heartbeatIntervalMs === 0) bad(`--heartbeat-interval must be >0 (set to ${cfg.heartbeatIntervalMs}ms)`);
  if (cfg.electionTimeoutMs === 0) bad(`--election-timeout must be >0 (set to ${cfg.electionTimeoutMs}ms)`);
  if (5 * cfg.heartbeatIntervalMs > cfg.electionTimeoutMs) {
    bad(`--election-timeout[${cfg.electionTimeoutMs}ms] should be at least as 5 times as --heartbeat-interval[${cfg.heartbeatIntervalMs}ms]`);
  }
  if (cfg.electionTimeoutMs > MAX_ELECTION_TIMEOUT_MS) {
    bad(`--election-timeout[${cfg.electionTimeoutMs}ms] is too long, and should be set less than ${MAX_ELECTION_TIMEOUT_MS}ms`);
  }
  if (cfg.listenClientUrls.length > 0 && cfg.advertiseClientUrls.length === 0 && !mayBeProxy) bad(ERR_UNSET_ADVERTISE_CLIENT_URLS);
  if (!['', 'periodic', 'revision'].includes(cfg.autoCompactionMode)) bad(`unknown auto-compaction-mode ${JSON.stringify(cfg.autoCompactionMode)}`);
  const x = cfg.experimental;
  if (!x.enableLeaseCheckpointPersist && x.enableLeaseCheckpoint) {
    logs.push({
      level: 'warn',
      caller: CALLERS.leaseCheckpoint,
      msg: 'Detected that checkpointing is enabled without persistence. Consider enabling experimental-enable-lease-checkpoint-persist',
    });
  }
  if (x.enableLeaseCheckpointPersist && !x.enableLeaseCheckpoint) {
    bad('setting experimental-enable-lease-checkpoint-persist requires experimental-enable-lease-checkpoint');
  }
  if (x.compactHashCheckTimeMs <= 0) bad(`--experimental-compact-hash-check-time must be >0 (set to ${formatGoDuration(x.compactHashCheckTimeMs)})`);
  for (const v of [cfg.tlsMinVersion, cfg.tlsMaxVersion]) {
    if (!TLS_VERSIONS.includes(v)) bad(`unexpected TLS version ${JSON.stringify(v)} (must be one of: TLS1.2, TLS1.3)`);
  }
  const rank = (v: string) => TLS_VERSIONS.indexOf(v);
  if (cfg.tlsMaxVersion !== '' && rank(cfg.tlsMinVersion) > rank(cfg.tlsMaxVersion)) {
    bad(`min version (${cfg.tlsMinVersion}) is greater than max version (${cfg.tlsMaxVersion})`);
  }
  if (cfg.tlsMinVersion === 'TLS1.3' && cfg.cipherSuites.length > 0) bad('cipher suites cannot be configured when only TLS1.3 is enabled');
  if (x.enableDistributedTracing) {
    const rate = x.distributedTracingSamplingRate;
    if (rate < 0) bad('distributed tracing configurition is not valid: (tracing sampling rate must be positive)');
    if (rate > 1_000_000) bad('distributed tracing configurition is not valid: (tracing sampling rate must be less than 1000000)');
  }
}

/**
 * @deprecated Flag names and defaults for callers that print their own usage; etcd's
 * exact help text is FLAGS_HELP (./help-text.ts), which handleServerArgs prints.
 */
export const SERVER_FLAGS: ReadonlyArray<{ name: string; default: string; kind: 'bool' | 'string'; usage: string }> = SERVER_FLAG_DEFS.map((d) => ({
  name: d.name,
  default: Array.isArray(d.defaultValue) ? d.defaultValue.join(',') : String(d.defaultValue ?? ''),
  kind: d.isBool ? 'bool' : 'string',
  usage: '',
}));
