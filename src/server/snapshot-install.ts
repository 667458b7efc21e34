// A follower installs a raft snapshot the leader sent with its backend: the db file
// arrived first (saved in the snap dir as <index %016x>.snap.db by the transport), the
// snapshot itself was made durable (snap file + WAL record) by the raft loop, and now
// the backend is swapped for that db and everything held in memory is rebuilt from it.
// Applying then continues with the entries after the snapshot's index.
//
// Order: running physical compactions finish on the old file → the backend moves to the
// received db (Backend.replaceWith renames it over member/snap/db) → the key index, the
// consistent index, leases, alarms, auth and members are read back → watchers catch up
// from their next revision against the new store. A crash after the WAL recorded the
// snapshot but before the rename leaves the .snap.db in place: start-up moves it in then
// (embed/snapshot-recovery.ts).

import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Snapshot } from '../raft/types.js';
import type { KVStore } from '../mvcc/kv-store.js';
import type { WatchableStore } from '../mvcc/watchable-store.js';
import type { Lessor } from '../lease/lessor.js';
import { restoreLessor } from '../lease/restore.js';
import type { AuthStore } from '../auth/auth-store.js';
import type { AlarmStore } from './alarm-store.js';
import type { Membership } from './membership.js';
import { parseSnapshotDbFileName, snapshotDbFileName } from '../transport/snapshot-framing.js';

export interface InstallLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface InstallParts {
  snapDir: string;
  backend: { replaceWith(path: string): Promise<void> };
  store: KVStore;
  membership: Membership;
  lessor?: Lessor;
  auth?: AuthStore;
  alarms?: AlarmStore;
  watchable?: WatchableStore;
  log: InstallLogger;
}

export class SnapshotInstallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotInstallError';
  }
}

export async function installSnapshot(p: InstallParts, snap: Snapshot, appliedBefore: number): Promise<void> {
  const { index, term } = snap.metadata;
  const dbPath = join(p.snapDir, snapshotDbFileName(index));
  p.log.info('applying snapshot', { 'current-applied-index': appliedBefore, 'incoming-leader-snapshot-index': index, 'incoming-leader-snapshot-term': term });
  if (!existsSync(dbPath)) throw new SnapshotInstallError(`failed to find database snapshot file (snap: snapshot file doesn't exist): ${dbPath}`);
  await p.store.compactionDone();
  await p.backend.replaceWith(dbPath);
  p.log.info('restored v3 backend from snapshot', { 'snapshot-index': index });

  await p.store.reload();
  const ci = p.store.consistentIndex();
  // The leader names the snapshot after the copy's own consistent index; anything else
  // would make this member skip or repeat entries.
  if (ci !== index) throw new SnapshotInstallError(`database snapshot's consistent index ${ci} does not match snapshot index ${index}`);
  p.log.info('restored mvcc store', { 'consistent-index': ci });

  if (p.lessor) {
    p.lessor.reset();
    restoreLessor(p.lessor, p.store.read());
  }
  p.alarms?.reload();
  p.auth?.reload();
  p.membership.reload();
  p.watchable?.restore();
  removeStaleSnapshotDbs(p.snapDir, index);
  p.log.info('applied snapshot', { 'current-applied-index': index, 'current-snapshot-index': index, 'incoming-leader-snapshot-index': index, 'incoming-leader-snapshot-term': term });
}

/** Received dbs at or below `index` are of no use once a snapshot at `index` is in place. */
export function removeStaleSnapshotDbs(snapDir: string, index: number): void {
  if (!existsSync(snapDir)) return;
  for (const name of readdirSync(snapDir)) {
    const at = parseSnapshotDbFileName(name);
    if (at !== undefined && at <= index) rmSync(join(snapDir, name), { force: true });
  }
}
