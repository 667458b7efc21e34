// Housekeeping of the member's raft files, and the one thing etcd-ts members cannot yet
// send each other: a raft snapshot (it would have to carry the whole backend).

import type { Snapshotter } from '../snap/snapshotter.js';
import type { WAL } from '../wal/wal.js';
import { MessageType, type Message } from '../raft/types.js';
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

const warnedAbout = new Set<bigint>();

/**
 * Drops raft snapshot messages and reports them failed, so raft keeps the follower in
 * probe state instead of believing it restored: sending the backend along with the
 * snapshot is not built yet. Members are never cut off by the leader's own log
 * compaction (it keeps everything a known follower still needs), so only a member
 * added after the leader compacted its log can need one; it must be replaced.
 */
export function withoutSnapshots(msgs: Message[], failed: (id: bigint) => void, log: Logger): Message[] {
  if (!msgs.some((m) => m.type === MessageType.Snap)) return msgs;
  return msgs.filter((m) => {
    if (m.type !== MessageType.Snap) return true;
    if (!warnedAbout.has(m.to)) {
      warnedAbout.add(m.to);
      log.warn('cannot send a raft snapshot to a member that is behind the compacted log; etcd-ts does not transfer snapshots yet', { 'remote-peer-id': m.to.toString(16), 'snapshot-index': m.snapshot?.metadata.index ?? 0 });
    }
    setImmediate(() => failed(m.to));
    return false;
  });
}
