// `etcd`: parse etcd's flags (writing exactly what etcd writes for --help, --version and
// bad flags), start a member, stop cleanly on SIGTERM/SIGINT.

import { handleServerArgs } from '../embed/handle-args.js';
import { DiscoveryError } from '../embed/discovery/v2-discovery.js';
import { startEtcd } from '../embed/start-etcd.js';
import { ListenerError, StartError } from '../embed/start-errors.js';
import { TlsFileError } from '../embed/tls-files.js';
import { CALLERS } from '../embed/log-record.js';
import { compactHeapWhenIdle, tuneHeapForServer } from './heap-tuning.js';
import { tierUpSooner } from './jit-tuning.js';
import { grpcRequestsSeen } from '../metrics/grpc-metrics.js';
import { processArgs } from '../pkg/raw-argv.js';

/** `argv` defaults to this process's arguments as byte strings (see raw-argv.ts): flag errors quote etcd's raw bytes. */
export async function main(argv: string[] = processArgs()): Promise<void> {
  const handled = handleServerArgs(argv, process.env);
  if ('exitCode' in handled) {
    process.exitCode = handled.exitCode;
    return;
  }
  const { config: cfg, logger: log } = handled;
  tuneHeapForServer();
  tierUpSooner();
  try {
    const member = await startEtcd(cfg, log.child('etcdserver/server.ts'));
    // Client requests and applied entries (a follower applies the leader's load without any client of its own).
    compactHeapWhenIdle(() => grpcRequestsSeen() + member.server.appliedIndex());
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.child('osutil/interrupt.ts').info('received signal; shutting down', { signal });
      void member.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // etcd was already serving when a client listener failed: no failed-start line, only zap's fatal one (exit code 1).
    if (err instanceof ListenerError) log.child(CALLERS.listenerFailed).fatal('listener failed', { error: message });
    if (err instanceof TlsFileError) {
      // A peer certificate, key or CA file etcd cannot use (client ones became ListenerErrors
      // above): etcd 3.4.23's failed-start pair, with its callers, and its exit code 1.
      log.child(CALLERS.startFailed).warn('failed to start etcd', { error: message });
      log.child(CALLERS.startFatal).fatal('discovery failed', { error: message });
    }
    if (err instanceof DiscoveryError) {
      // etcd 3.5's words for a discovery that did not complete: the token is spent.
      log.warn('failed to bootstrap; discovery token was already used', { 'discovery-token': cfg.discovery, error: message });
      log.warn('do not reuse discovery token; generate a new one to bootstrap a cluster');
      process.exit(1);
    }
    // etcd 3.5 reports a failed start as a warning followed by a fatal line, both with the error.
    log.warn('failed to start etcd', { error: message });
    log.error(err instanceof StartError ? 'discovery failed' : 'failed to start etcd', { error: message });
    process.exit(err instanceof StartError ? err.exitCode : 1);
  }
}
