// `etcdctl snapshot status|restore <file>`, etcdctl 3.4's offline snapshot commands: no
// client, only the file (and, for restore, the new data dir). Restore logs zap JSON
// lines on stderr as etcdctl 3.4 does; errors exit 1, bad arguments 128.

import { checkStatusFormat, formatStatus, StatusFormatError } from '../../snapshot/status-printers.js';
import { CtlError, ExitCode } from './errors.js';
import type { Session } from './session.js';

/** zap's epoch-seconds time as etcdctl 3.4's logger writes it. */
function epochSeconds(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000) / 1e6;
}

export async function snapshotStatusCommand(s: Session): Promise<number> {
  if (s.args.length !== 1) throw new CtlError('snapshot status requires exactly one argument', ExitCode.BadArgs);
  const format = s.flags.string('write-out');
  try {
    checkStatusFormat(format);
  } catch (e) {
    throw new CtlError((e as StatusFormatError).message, ExitCode.BadFeature);
  }
  const path = s.args[0]!;
  // Status reads the file only; restore's WAL, raft and membership code is left unloaded.
  const { snapshotStatus } = await import('../../snapshot/snapshot-status.js');
  let st;
  try {
    st = await snapshotStatus(path);
  } catch (e) {
    throw new CtlError((e as Error).message, ExitCode.Error);
  }
  s.out.raw(formatStatus(format, st));
  return ExitCode.Success;
}

export async function snapshotRestoreCommand(s: Session): Promise<number> {
  if (s.args.length !== 1) throw new CtlError('snapshot restore requires exactly one argument', ExitCode.BadArgs);
  const f = s.flags;
  const { restoreSnapshot } = await import('../../snapshot/snapshot-restore.js');
  try {
    await restoreSnapshot({
      snapshotPath: s.args[0]!,
      name: f.string('name'),
      dataDir: f.string('data-dir'),
      walDir: f.string('wal-dir'),
      initialCluster: f.string('initial-cluster'),
      initialClusterToken: f.string('initial-cluster-token'),
      initialAdvertisePeerUrls: f.string('initial-advertise-peer-urls').split(','),
      skipHashCheck: f.bool('skip-hash-check'),
      dialect: '3.4',
      log: (caller, msg, fields) => s.err.line(JSON.stringify({ level: 'info', ts: epochSeconds(), caller, msg, ...fields })),
    });
  } catch (e) {
    throw new CtlError((e as Error).message, ExitCode.Error);
  }
  return ExitCode.Success;
}
