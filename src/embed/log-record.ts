// A log line decided before the member's logger exists (flag and environment parsing
// happen first, as in etcd), handed to whoever writes logs.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'dpanic' | 'panic' | 'fatal';

export interface LogRecord {
  level: LogLevel;
  /** zap's short caller, e.g. "etcdmain/etcd.go:73"; etcd's file names so greps line up. */
  caller: string;
  msg: string;
  fields?: Record<string, unknown>;
}

/** Where etcd 3.5 logs these messages from (file:line in etcd v3.5.17). */
export const CALLERS = {
  running: 'etcdmain/etcd.go:73',
  verifyFailed: 'etcdmain/etcd.go:75',
  advertiseUnset: 'etcdmain/etcd.go:78',
  dataDirDefault: 'etcdmain/etcd.go:116',
  envUsed: 'flags/flag.go:113',
  envUnrecognized: 'flags/flag.go:93',
  envConflict: 'flags/flag.go:85',
  envSpecial: 'etcdmain/config.go:372',
  configFile: 'etcdmain/config.go:348',
  singlePort: 'embed/config.go:688',
  leaseCheckpoint: 'embed/config.go:735',
  /** etcd 3.4.23's line, the release this failure was compared with. */
  listenerFailed: 'etcdmain/etcd.go:290',
  /** etcd 3.4.23's failed-start pair, as it logs a peer certificate, key or CA it cannot use. */
  startFailed: 'etcdmain/etcd.go:176',
  startFatal: 'etcdmain/etcd.go:271',
  /** etcd 3.4.23's "rejected connection": a failed TLS handshake, and a refused certificate (with its names). */
  handshakeRejected: 'embed/config_logging.go:287',
  certificateRejected: 'embed/config_logging.go:278',
  /** etcd 3.4.23's warnings for TLS flags an http:// (or unix://) listen URL does not use. */
  peerHttpKeyCert: 'embed/etcd.go:513',
  peerHttpCertAuth: 'embed/etcd.go:520',
  clientHttpKeyCert: 'embed/etcd.go:625',
  clientHttpCertAuth: 'embed/etcd.go:632',
} as const;
