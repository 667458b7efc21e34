// Taking over a data dir that real etcd (3.4/3.5) wrote: the drop-in upgrade (stop etcd,
// start etcd-ts on its --data-dir) and the runbook restore (`etcdctl snapshot restore`
// from Debian's etcdctl, then start etcd-ts on the result). etcd-ts keeps its own file
// formats, so on start a member/ written by etcd is migrated once:
//
//   member/snap/db (bbolt)   → a fresh LMDB backend, every pair copied (bbolt-snapshot.ts);
//                              the membership rows rewritten from etcd's v2 store and log
//                              (etcd-membership.ts), which is what etcd itself trusts
//   etcd's newest raft snap  → an etcd-ts snapshot file at the same index, term and voters
//   etcd's WAL               → an etcd-ts WAL with the same member and cluster ids, the same
//                              snapshot mark, the entries after it and the last hard state
//
// so raft resumes exactly where etcd stopped. etcd's v2 store (in its snap files and v2
// WAL requests) is not carried over beyond the membership: etcd-ts serves no v2 API
// (etcd-entry-translate.ts).
//
// Crash safety: everything is written into member.etcd-ts-migrating beside member/,
// fsynced, and renamed member.etcd-ts-ready once whole. Then member/ is renamed
// member.etcd-backup (etcd's files, untouched) and member.etcd-ts-ready renamed member/.
// A start that finds a -migrating dir deletes it and migrates again; one that finds a
// -ready dir finishes the two renames. Until the first of them, member/ is etcd's.
//
// With a --wal-dir outside member/, etcd's segments are in that dir and etcd-ts's go
// there too: the WAL is built and swapped beside it, before member/ is (separate-wal-dir.ts
// has the order), and member.etcd-ts-ready stays the one commit point.

import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { Backend } from '../storage/backend.js';
import { importBbolt } from '../snapshot/bbolt-snapshot.js';
import { backendFormat } from '../snapshot/backend-format.js';
import { Snapshotter } from '../snap/snapshotter.js';
import { WAL } from '../wal/wal.js';
import { DirLock } from '../wal/dir-lock.js';
import { fsyncDir } from '../wal/segment-files.js';
import { Metadata } from '../gen/etcdserverpb/etcdserver.js';
import { encodeWalMetadata } from '../embed/wal-metadata.js';
import type { Member } from '../server/membership.js';
import { replaceBackendMembership } from '../embed/backend-membership.js';
import { membershipSnapshotData } from '../server/snapshot-source.js';
import { formatId } from '../pkg/ids.js';
import { META_CONSISTENT_INDEX } from '../mvcc/kv-store.js';
import type { Entry, HardState } from '../raft/types.js';
import { entriesAfter, etcdWalSegments, looksLikeEtcdWalSegment, readEtcdWal } from './etcd-wal-reader.js';
import { newestEtcdSnapshot } from './etcd-snap-reader.js';
import { translateEntry } from './etcd-entry-translate.js';
import { applyEtcdEntry, emptyMembership, membershipFromV2Store } from './etcd-membership.js';
import type { EtcdEntry, EtcdRaftSnapshot } from './etcd-protos.js';
import { discardWalBuild, insideDir, markWalReady, separateWalDirs, swapInWal, walDirHoldsMemberDir, type SeparateWalDirs } from './separate-wal-dir.js';

/** Where etcd (and etcd-ts) keep the cluster version in the backend's `cluster` bucket. */

/** Entries per WAL save while writing the migrated log, so no one write buffer gets huge. */
const ENTRIES_PER_SAVE = 4096;

export interface MigrationLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface MigrationPaths {
  memberDir: string;
  walDir: string;
}

export function migrationDirs(memberDir: string): { building: string; ready: string; backup: string } {
  return { building: `${memberDir}.etcd-ts-migrating`, ready: `${memberDir}.etcd-ts-ready`, backup: `${memberDir}.etcd-backup` };
}

/** Whether the WAL in `walDir` was written by etcd (its first segment starts with etcd's framing). */
export async function isEtcdWal(walDir: string): Promise<boolean> {
  if (!existsSync(walDir)) return false;
  const segments = await etcdWalSegments(walDir);
  return segments.length > 0 && looksLikeEtcdWalSegment(join(walDir, segments[0]!));
}

/** The --wal-dir's own migration dirs when it is outside the member dir, else undefined (the WAL moves with member/). */
function separateWal(p: MigrationPaths): SeparateWalDirs | undefined {
  return insideDir(p.memberDir, p.walDir) ? undefined : separateWalDirs(p.walDir);
}

/**
 * Migrates `memberDir` if etcd wrote it (or finishes a migration a crash interrupted);
 * does nothing for an etcd-ts data dir. Returns whether a migration happened.
 */
export async function migrateEtcdDataDir(p: MigrationPaths, log: MigrationLog): Promise<boolean> {
  const dirs = migrationDirs(p.memberDir);
  if (!existsSync(dirs.ready) && !(await isEtcdWal(p.walDir))) return false;
  // One migration at a time per data dir: a second etcd-ts started on it meanwhile is refused,
  // as a second member on one WAL is, instead of building and swapping the same directories.
  const lock = DirLock.acquire(dirname(p.memberDir));
  try {
    await migrateLocked(p, dirs, log);
  } finally {
    lock.release();
  }
  return true;
}

async function migrateLocked(p: MigrationPaths, dirs: ReturnType<typeof migrationDirs>, log: MigrationLog): Promise<void> {
  const parent = dirname(p.memberDir);
  const wal = separateWal(p);
  if (existsSync(dirs.ready)) {
    await swapIn(p.memberDir, dirs, wal, log);
    return;
  }
  // Checked again under the lock: another process may have finished a migration meanwhile.
  if (!(await isEtcdWal(p.walDir))) return;
  if (wal && walDirHoldsMemberDir(wal.dir, p.memberDir)) {
    throw new Error(`cannot migrate the etcd data in ${p.memberDir}: --wal-dir ${p.walDir} contains the member dir; move the wal segments to a directory of their own and start again`);
  }
  for (const backup of [dirs.backup, ...(wal ? [wal.backup] : [])]) {
    if (existsSync(backup)) {
      throw new Error(`cannot migrate the etcd data in ${p.memberDir}: ${backup} (an earlier migration's copy of etcd's files) is in the way; move it elsewhere and start again`);
    }
  }
  const dbPath = join(p.memberDir, 'snap', 'db');
  if (!existsSync(dbPath) || (await backendFormat(dbPath)) !== 'bbolt') {
    throw new Error(`cannot migrate the etcd data in ${p.memberDir}: its wal is etcd's but ${dbPath} is not a bbolt database`);
  }
  log.info('found a data dir written by etcd; migrating it to etcd-ts files', { 'member-dir': p.memberDir, into: dirs.building, ...(wal ? { 'wal-dir': p.walDir, 'wal-into': wal.building } : {}) });
  // Left by a migration a crash cut short: it was never swapped in, so it is simply redone.
  await rm(dirs.building, { recursive: true, force: true });
  if (wal) await discardWalBuild(wal);
  // The WAL where etcd-ts will look for it: under member/ as etcd had it, or beside the --wal-dir.
  const walOut = wal ? wal.building : join(dirs.building, relative(p.memberDir, p.walDir));
  await buildMigrated(p, dbPath, dirs.building, walOut, log);
  if (wal) await markWalReady(wal);
  // The commit point: from here on a start finishes the swap instead of redoing the build.
  await rename(dirs.building, dirs.ready);
  await fsyncDir(parent);
  await swapIn(p.memberDir, dirs, wal, log);
}

/**
 * The separate WAL first (separate-wal-dir.ts), then member/ → member.etcd-backup and
 * member.etcd-ts-ready → member/; any of them may already be done.
 */
async function swapIn(memberDir: string, dirs: ReturnType<typeof migrationDirs>, wal: SeparateWalDirs | undefined, log: MigrationLog): Promise<void> {
  const parent = dirname(memberDir);
  if (wal) await swapInWal(wal);
  if (existsSync(memberDir)) {
    if (existsSync(dirs.backup)) throw new Error(`cannot finish migrating ${memberDir}: both it and ${dirs.backup} exist; move ${dirs.backup} elsewhere and start again`);
    await rename(memberDir, dirs.backup);
    await fsyncDir(parent);
  }
  await rename(dirs.ready, memberDir);
  await fsyncDir(parent);
  log.info('migrated the etcd data dir; etcd\'s original files are kept', { 'member-dir': memberDir, 'etcd-backup': dirs.backup, ...(wal ? { 'etcd-wal-backup': wal.backup } : {}) });
}

async function buildMigrated(p: MigrationPaths, dbPath: string, out: string, walOut: string, log: MigrationLog): Promise<void> {
  const etcdWal = await readEtcdWal(p.walDir);
  const meta = Metadata.decode(etcdWal.metadata);
  const memberId = meta.NodeID ?? 0n;
  const clusterId = meta.ClusterID ?? 0n;
  const snap = await newestEtcdSnapshot(join(p.memberDir, 'snap'), etcdWal.marks, (path, why) => log.warn('skipped an etcd snap file', { path, reason: why }));
  const from = snap ? { index: snap.index, term: snap.term } : { index: 0, term: 0 };
  if (!etcdWal.marks.some((m) => m.index === from.index && m.term === from.term)) {
    throw new Error(`etcd wal: no snapshot record for index ${from.index} term ${from.term} in ${p.walDir}`);
  }
  const etcdEntries = entriesAfter(etcdWal, from);
  const entries = etcdEntries.map(translateEntry);
  const last = entries.length > 0 ? entries[entries.length - 1]!.index : from.index;
  const hs: HardState = etcdWal.hardState ?? { term: from.term, vote: 0n, commit: from.index };
  if (hs.commit > last) throw new Error(`etcd wal: commit index ${hs.commit} is past the last entry ${last}`);

  const snapDir = join(out, 'snap');
  await mkdir(snapDir, { recursive: true, mode: 0o700 });
  const members = await importBackend(dbPath, join(snapDir, 'db'), snap, etcdEntries, (msg, f) => log.warn(msg, f));
  if (snap) {
    await new Snapshotter(snapDir).save({
      data: membershipSnapshotData(members),
      metadata: { index: snap.index, term: snap.term, confState: snap.confState },
    });
  }
  await writeWal(walOut, encodeWalMetadata(memberId, clusterId), from, entries, hs);
  await fsyncDir(snapDir);
  await fsyncDir(out);
  log.info('converted etcd raft state', {
    'local-member-id': formatId(memberId),
    'cluster-id': formatId(clusterId),
    'snapshot-index': from.index,
    'snapshot-term': from.term,
    'last-index': last,
    term: hs.term,
    commit: hs.commit,
  });
}

/**
 * The bbolt db's pairs into a fresh LMDB backend, the membership rows replaced by what
 * etcd's v2 store and log say (etcd-membership.ts). Returns the members.
 */
async function importBackend(bboltPath: string, lmdbPath: string, snap: EtcdRaftSnapshot | undefined, entries: EtcdEntry[], warn: MigrationLog['warn']): Promise<Member[]> {
  await importBbolt(bboltPath, lmdbPath, (bucket) => warn('skipped a bucket etcd-ts does not keep', { bucket }));
  const backend = Backend.open(lmdbPath);
  try {
    const ci = backend.get('meta', META_CONSISTENT_INDEX);
    const consistentIndex = ci && ci.length >= 8 ? Number(ci.readBigUInt64BE(0)) : 0;
    const snapIndex = snap?.index ?? 0;
    if (consistentIndex < snapIndex) {
      throw new Error(`etcd data: the backend's consistent index ${consistentIndex} is behind the raft snapshot at ${snapIndex}`);
    }
    const state = snap && snap.data.length > 0 ? membershipFromV2Store(snap.data) : emptyMembership();
    for (const e of entries) if (e.index <= consistentIndex) applyEtcdEntry(state, e);
    const members = [...state.members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    replaceBackendMembership(backend, members, [...state.removed], state.version);
    await backend.forceCommit();
    return members;
  } finally {
    await backend.close();
  }
}

async function writeWal(dir: string, metadata: Uint8Array, from: { index: number; term: number }, entries: Entry[], hs: HardState): Promise<void> {
  const wal = await WAL.create(dir, metadata);
  try {
    if (from.index > 0) await wal.saveSnapshot(from);
    for (let i = 0; i < entries.length; i += ENTRIES_PER_SAVE) {
      const chunk = entries.slice(i, i + ENTRIES_PER_SAVE);
      await wal.save(i + ENTRIES_PER_SAVE >= entries.length ? hs : undefined, chunk);
    }
    if (entries.length === 0) await wal.save(hs, []);
  } finally {
    await wal.close();
  }
}
