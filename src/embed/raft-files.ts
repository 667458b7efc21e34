// Housekeeping of the member's raft files: old snapshot files and released WAL segments.
// (Raft snapshots for members behind the leader's compacted log travel with the backend:
// transport/snapshot-sender.ts and snapshot-receiver.ts.)

import type { Snapshotter } from '../snap/snapshotter.js';
import type { WAL } from '../wal/wal.js';
import type { Logger } from './logger.js';

/** etcd purges old snapshot and WAL files every 30 seconds. */
export const PURGE_INTERVAL_MS = 30_000;

export async function purgeFiles(snapshotter: Snapshotter, wal: WAL, maxSnapshots: number, maxWals: number, log: Logger): Promise<void> {
  try {
    for (const path of await snapshotter.purge(maxSnapshots)) log.info('purged', { path });
    for (const path of await wal.purge(maxWals)) log.info('purged', { path });
  } catch (err) {
    log.warn('failed to purge files', { error: (err as Error).message });
  }
}
