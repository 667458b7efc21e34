// `etcdutl snapshot status|restore`, as etcdutl 3.5 runs them: the same work as etcdctl
// 3.4's offline commands (src/snapshot), with etcdutl's wording where it differs (an
// empty --data-dir is accepted) and its logger's ISO-8601 timestamps.

import { restoreSnapshot } from '../../snapshot/snapshot-restore.js';
import { snapshotStatus } from '../../snapshot/snapshot-status.js';
import { checkStatusFormat, formatStatus } from '../../snapshot/status-printers.js';

export const EXIT_ERROR = 1;
export const EXIT_BAD_FEATURE = 4;
export const EXIT_BAD_ARGS = 128;

export class UtlError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface UtlIo {
  out(text: string): void;
  err(text: string): void;
}

export async function utlSnapshotStatus(args: string[], format: string, io: UtlIo): Promise<void> {
  if (args.length !== 1) throw new UtlError('snapshot status requires exactly one argument', EXIT_BAD_ARGS);
  try {
    checkStatusFormat(format);
  } catch (e) {
    throw new UtlError((e as Error).message, EXIT_BAD_FEATURE);
  }
  const path = args[0]!;
  try {
    io.out(formatStatus(format, await snapshotStatus(path)));
  } catch (e) {
    // snapshotStatus words the file's own errors as Go does (stat, then bbolt's open).
    throw new UtlError((e as Error).message, EXIT_ERROR);
  }
}

export interface RestoreFlags {
  name: string;
  dataDir: string;
  walDir: string;
  initialCluster: string;
  initialClusterToken: string;
  initialAdvertisePeerUrls: string;
  skipHashCheck: boolean;
}

export const RESTORE_DEFAULTS: RestoreFlags = {
  name: 'default',
  dataDir: '',
  walDir: '',
  initialCluster: 'default=http://localhost:2380',
  initialClusterToken: 'etcd-cluster',
  initialAdvertisePeerUrls: 'http://localhost:2380',
  skipHashCheck: false,
};

export async function utlSnapshotRestore(args: string[], f: RestoreFlags, io: UtlIo): Promise<void> {
  if (args.length !== 1) throw new UtlError('snapshot restore requires exactly one argument', EXIT_BAD_ARGS);
  try {
    await restoreSnapshot({
      snapshotPath: args[0]!,
      name: f.name,
      dataDir: f.dataDir,
      walDir: f.walDir,
      initialCluster: f.initialCluster,
      initialClusterToken: f.initialClusterToken,
      initialAdvertisePeerUrls: f.initialAdvertisePeerUrls.split(','),
      skipHashCheck: f.skipHashCheck,
      dialect: '3.5',
      log: (caller, msg, fields) => io.err(`${JSON.stringify({ level: 'info', ts: new Date().toISOString(), caller, msg, ...fields })}\n`),
    });
  } catch (e) {
    throw new UtlError((e as Error).message, EXIT_ERROR);
  }
}
