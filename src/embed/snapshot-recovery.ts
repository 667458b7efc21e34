// Start-up after a crash in the middle of installing a snapshot from the leader: the WAL
// already records the snapshot, but its db (<index %016x>.snap.db in the snap dir) was
// never moved over member/snap/db. It is moved now, before the backend is opened, so the
// backend and the log agree again. (Should the db be older than the backend, nothing is
// lost either: the WAL holds every entry after the snapshot and replays them.)

import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Snapshotter } from '../snap/snapshotter.js';
import { SnapNoSnapshotError } from '../snap/snapshotter.js';
import { validSnapshotMarks } from '../wal/wal-inspect.js';
import { snapshotDbFileName } from '../transport/snapshot-framing.js';
import { removeStaleSnapshotDbs } from '../server/snapshot-install.js';
import type { DataDirLayout } from './start-etcd.js';
import type { Logger } from './logger.js';

export async function recoverReceivedBackend(layout: DataDirLayout, snapshotter: Snapshotter, log: Logger): Promise<void> {
  const snap = await snapshotter.loadNewestAvailable(await validSnapshotMarks(layout.walDir)).catch((err: Error) => {
    if (err instanceof SnapNoSnapshotError) return undefined;
    throw err;
  });
  if (!snap) return;
  const index = snap.metadata.index;
  const dbPath = join(layout.snapDir, snapshotDbFileName(index));
  if (existsSync(dbPath)) {
    renameSync(dbPath, layout.backendPath);
    rmSync(`${dbPath}-lock`, { force: true });
    rmSync(`${layout.backendPath}-lock`, { force: true });
    log.info('restored v3 backend from snapshot', { 'snapshot-index': index, 'snapshot-path': dbPath });
  }
  removeStaleSnapshotDbs(layout.snapDir, index);
}
