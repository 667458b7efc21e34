// The WAL side of a migration when etcd ran with a --wal-dir outside its member dir.
// etcd 3.4 then writes its segments directly into --wal-dir (member/ holds only snap/),
// and etcd-ts, started with the same flag, keeps its own segments directly there too
// (dataDirLayout in embed/start-etcd.ts). So the migrated WAL has to end up in the same
// directory etcd's leaves, on the disk the operator chose for it.
//
// Beside the --wal-dir (in its parent):
//   <wal-dir>.etcd-ts-migrating   etcd-ts's WAL being built
//   <wal-dir>.etcd-ts-ready       etcd-ts's WAL, whole and fsynced
//   <wal-dir>.etcd-backup         etcd's WAL segments after the swap, untouched
//
// etcd's segments are kept beside the --wal-dir rather than in member.etcd-backup: etcd
// 3.4 cannot use a mount point as its --wal-dir (creating the WAL renames a temporary dir
// onto it, which fails with EBUSY), so the --wal-dir and its parent are on one filesystem
// and moving the segments aside is one rename, not a copy of up to gigabytes across
// disks. Rolling back is the reverse: member.etcd-backup → member, <wal-dir>.etcd-backup →
// <wal-dir>. Should the --wal-dir be a mount point anyway (the WAL copied onto a new disk
// after etcd created it), move-dir.ts copies instead of renaming.
//
// Order (migrate-etcd-data-dir.ts drives it; M is the member dir, W the --wal-dir):
//   1. build M.etcd-ts-migrating (snap/) and W.etcd-ts-migrating (wal), fsync both
//   2. rename W.etcd-ts-migrating → W.etcd-ts-ready
//   3. rename M.etcd-ts-migrating → M.etcd-ts-ready: the commit point. Before it, a start
//      deletes what was built and migrates again (W and M are etcd's); after it, a start
//      finishes steps 4-7, each of which can tell whether it was already done.
//   4. W → W.etcd-backup        (skipped once W.etcd-backup exists)
//   5. W.etcd-ts-ready → W      (skipped once W.etcd-ts-ready is gone)
//   6. M → M.etcd-backup, 7. M.etcd-ts-ready → M   (as without a --wal-dir)
// W's segments are moved before M's: M.etcd-ts-ready is the marker that the swap is not
// finished, so it has to be the last thing to go.

import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fsyncDir } from '../wal/segment-files.js';
import { moveDirAside, moveDirInto, removeFilesIn, type RenameFn } from './move-dir.js';

export interface SeparateWalDirs {
  dir: string;
  building: string;
  ready: string;
  backup: string;
}

export function separateWalDirs(walDir: string): SeparateWalDirs {
  return { dir: walDir, building: `${walDir}.etcd-ts-migrating`, ready: `${walDir}.etcd-ts-ready`, backup: `${walDir}.etcd-backup` };
}

/** Whether `path` is strictly inside `dir`. */
export function insideDir(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Whether the --wal-dir is, or contains, the member dir: then it cannot be moved aside on its own. */
export function walDirHoldsMemberDir(walDir: string, memberDir: string): boolean {
  return resolve(walDir) === resolve(memberDir) || insideDir(walDir, memberDir);
}

/** Removes what an uncommitted build (no M.etcd-ts-ready yet) left beside the --wal-dir. */
export async function discardWalBuild(w: SeparateWalDirs): Promise<void> {
  await rm(w.building, { recursive: true, force: true });
  await rm(w.ready, { recursive: true, force: true });
}

/** Step 2: the built WAL is whole; it becomes visible as ready. */
export async function markWalReady(w: SeparateWalDirs): Promise<void> {
  await rename(w.building, w.ready);
  await fsyncDir(dirname(w.ready));
}

/** Steps 4 and 5, after the commit point; safe to repeat after a crash at any instant. */
export async function swapInWal(w: SeparateWalDirs, renameFn?: RenameFn): Promise<void> {
  if (!existsSync(w.ready)) return;
  if (!existsSync(w.backup)) {
    // Nothing has touched W yet: it is etcd's whole WAL (moveDirAside removes none of it
    // before the backup is complete).
    await moveDirAside(w.dir, w.backup, renameFn);
  }
  // etcd's segments are safe in the backup; W holds nothing, or files a crash left there
  // (etcd's, not yet removed after a copy, or etcd-ts's, partly copied in).
  if (existsSync(w.dir)) await removeFilesIn(w.dir);
  await moveDirInto(w.ready, w.dir, renameFn);
}
