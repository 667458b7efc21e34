// Migrating a member real etcd 3.4 ran with --wal-dir outside its member dir: etcd's
// segments sit directly in the --wal-dir (test/fixtures/etcd-3.4-member's wal/ copied
// there), member/ holds only snap/. etcd-ts's WAL has to replace them in that same dir,
// etcd's are kept as <wal-dir>.etcd-backup, and every crash window ends in a whole
// migration on the next start, also where the --wal-dir cannot be renamed (a mount point).

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isEtcdWal, migrateEtcdDataDir, migrationDirs } from '../../src/migrate/migrate-etcd-data-dir.js';
import { separateWalDirs, swapInWal } from '../../src/migrate/separate-wal-dir.js';
import type { RenameFn } from '../../src/migrate/move-dir.js';
import { WAL } from '../../src/wal/wal.js';
import { Snapshotter } from '../../src/snap/snapshotter.js';
import { Backend } from '../../src/storage/backend.js';
import { decodeWalMetadata } from '../../src/embed/wal-metadata.js';
import { tempRoot } from '../wal/helpers.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/etcd-3.4-member/', import.meta.url));
const SEGMENT = '0000000000000000-0000000000000000.wal';
const MEMBER_ID = 0x3760a4ec3b84f7fan;
const CLUSTER_ID = 0x89e49d7f81553f67n;

const quiet = { info: () => {}, warn: () => {} };

/** <root>/data/member/snap and the segments in <root>/<walName>, as `etcd --data-dir data --wal-dir <walName>` leaves them. */
function etcdDataDirWithWalDir(root: string, walName = 'wal'): { memberDir: string; walDir: string } {
  const memberDir = join(root, 'data', 'member');
  mkdirSync(memberDir, { recursive: true });
  cpSync(join(FIXTURE, 'snap'), join(memberDir, 'snap'), { recursive: true });
  const walDir = join(root, walName);
  cpSync(join(FIXTURE, 'wal'), walDir, { recursive: true });
  return { memberDir, walDir };
}

const etcdSegment = readFileSync(join(FIXTURE, 'wal', SEGMENT));

/** What etcd-ts reads back: the snapshot from member/snap, the log from the --wal-dir. */
async function openMigrated(memberDir: string, walDir: string) {
  const snap = await new Snapshotter(join(memberDir, 'snap')).load();
  const wal = await WAL.open(walDir, { fromSnapshot: { index: snap.metadata.index, term: snap.metadata.term } });
  try {
    const contents = await wal.readAll();
    return { snap, ...contents, ids: decodeWalMetadata(contents.metadata) };
  } finally {
    await wal.close();
  }
}

async function assertMigrated(root: string, memberDir: string, walDir: string, label: string): Promise<void> {
  const got = await openMigrated(memberDir, walDir);
  assert.deepEqual(got.ids, { memberId: MEMBER_ID, clusterId: CLUSTER_ID }, label);
  assert.deepEqual(got.hardState, { term: 2, vote: MEMBER_ID, commit: 18 }, label);
  assert.deepEqual(got.entries.map((e) => e.index), [12, 13, 14, 15, 16, 17, 18], label);
  assert.deepEqual(readdirSync(root).sort(), ['data', 'wal', 'wal.etcd-backup'], `${label}: nothing left beside the --wal-dir`);
  assert.deepEqual(readdirSync(join(root, 'data')).sort(), ['member', 'member.etcd-backup'], label);
  assert.deepEqual(readdirSync(memberDir), ['snap'], `${label}: no wal under member/`);
  assert.deepEqual(readFileSync(join(root, 'wal.etcd-backup', SEGMENT)), etcdSegment, `${label}: etcd's segment kept byte for byte`);
  assert.ok(existsSync(join(root, 'data', 'member.etcd-backup', 'snap', 'db')), label);
  assert.equal(await isEtcdWal(walDir), false, label);
}

const crossDevice: RenameFn = async (from, to) => {
  throw Object.assign(new Error(`EXDEV: cross-device link not permitted, rename '${from}' -> '${to}'`), { code: 'EXDEV' });
};

test('--wal-dir outside the member dir: etcd-ts\'s WAL replaces etcd\'s segments in it, member/ keeps snap/, etcd\'s files are kept beside each', async (t) => {
  const root = tempRoot(t);
  const { memberDir, walDir } = etcdDataDirWithWalDir(root);
  assert.equal(await migrateEtcdDataDir({ memberDir, walDir }, quiet), true);
  await assertMigrated(root, memberDir, walDir, 'migrated');
  const backend = Backend.open(join(memberDir, 'snap', 'db'));
  try {
    assert.equal(backend.range('key', Buffer.alloc(0)).length, 14);
  } finally {
    await backend.close();
  }
  // The next start is a plain etcd-ts restart.
  assert.equal(await migrateEtcdDataDir({ memberDir, walDir }, quiet), false);
});

test('--wal-dir inside the member dir under another name: the migrated WAL is where that flag points', async (t) => {
  const root = tempRoot(t);
  const memberDir = join(root, 'data', 'member');
  mkdirSync(memberDir, { recursive: true });
  cpSync(join(FIXTURE, 'snap'), join(memberDir, 'snap'), { recursive: true });
  const walDir = join(memberDir, 'my-wal');
  cpSync(join(FIXTURE, 'wal'), walDir, { recursive: true });
  assert.equal(await migrateEtcdDataDir({ memberDir, walDir }, quiet), true);
  assert.equal((await openMigrated(memberDir, walDir)).hardState?.commit, 18);
  assert.deepEqual(readFileSync(join(migrationDirs(memberDir).backup, 'my-wal', SEGMENT)), etcdSegment);
});

test('a --wal-dir that holds the member dir is refused with etcd\'s files untouched', async (t) => {
  const root = tempRoot(t);
  const dataDir = join(root, 'data');
  const memberDir = join(dataDir, 'member');
  mkdirSync(memberDir, { recursive: true });
  cpSync(join(FIXTURE, 'snap'), join(memberDir, 'snap'), { recursive: true });
  cpSync(join(FIXTURE, 'wal'), dataDir, { recursive: true });
  await assert.rejects(migrateEtcdDataDir({ memberDir, walDir: dataDir }, quiet), /^Error: cannot migrate the etcd data in .*member: --wal-dir .* contains the member dir; /);
  assert.deepEqual(readFileSync(join(dataDir, SEGMENT)), etcdSegment);
  assert.deepEqual(readdirSync(root), ['data']);
});

test('an earlier <wal-dir>.etcd-backup in the way is refused before anything is built', async (t) => {
  const root = tempRoot(t);
  const { memberDir, walDir } = etcdDataDirWithWalDir(root);
  mkdirSync(`${walDir}.etcd-backup`);
  await assert.rejects(migrateEtcdDataDir({ memberDir, walDir }, quiet), /wal\.etcd-backup \(an earlier migration's copy of etcd's files\) is in the way/);
  assert.deepEqual(readdirSync(root).sort(), ['data', 'wal', 'wal.etcd-backup']);
  assert.deepEqual(readdirSync(join(root, 'data')), ['member']);
});

test('a crash before the commit point (the WAL ready, member/ not yet): the next start discards the build and migrates again', async (t) => {
  const root = tempRoot(t);
  const { memberDir, walDir } = etcdDataDirWithWalDir(root);
  const w = separateWalDirs(walDir);
  // What a killed process can leave: a ready WAL (junk here, so using it would show) and half a member build.
  mkdirSync(w.ready);
  writeFileSync(join(w.ready, SEGMENT), 'junk');
  mkdirSync(join(migrationDirs(memberDir).building, 'snap'), { recursive: true });
  assert.equal(await isEtcdWal(walDir), true, 'the --wal-dir is still etcd\'s');
  assert.equal(await migrateEtcdDataDir({ memberDir, walDir }, quiet), true);
  await assertMigrated(root, memberDir, walDir, 'redone');
});

/**
 * A migrated --wal-dir setup taken back to the moment right after the commit point as far
 * as member/ goes (member.etcd-ts-ready and etcd's member/ in place again); each test then
 * undoes as many of the WAL's steps as the crash it stands for had not done.
 */
async function migratedThenMemberSwapUndone(t: TestContext) {
  const root = tempRoot(t);
  const { memberDir, walDir } = etcdDataDirWithWalDir(root);
  const dirs = migrationDirs(memberDir);
  await migrateEtcdDataDir({ memberDir, walDir }, quiet);
  renameSync(memberDir, dirs.ready);
  renameSync(dirs.backup, memberDir);
  return { root, memberDir, walDir, w: separateWalDirs(walDir) };
}

test('a crash after the commit point: the next start finishes the swap, whichever step it stopped before', async (t) => {
  for (const stoppedBefore of ['wal aside', 'wal in', 'member swap'] as const) {
    const { root, memberDir, walDir, w } = await migratedThenMemberSwapUndone(t);
    // Back to the moment of the crash, undoing the swap's steps in reverse.
    if (stoppedBefore !== 'member swap') renameSync(walDir, w.ready);
    if (stoppedBefore === 'wal aside') renameSync(w.backup, walDir);

    assert.equal(await migrateEtcdDataDir({ memberDir, walDir }, quiet), true, stoppedBefore);
    await assertMigrated(root, memberDir, walDir, stoppedBefore);
  }
});

test('a --wal-dir that cannot be renamed (a mount point, another filesystem): the segments are copied, fsynced, then removed', async (t) => {
  const { root, memberDir, walDir, w } = await migratedThenMemberSwapUndone(t);
  // The state right after the commit point, then the WAL's steps with every directory rename refused.
  renameSync(walDir, w.ready);
  renameSync(w.backup, walDir);
  await swapInWal(w, crossDevice);
  assert.equal(existsSync(w.ready), false);
  assert.equal(existsSync(`${w.backup}.copying`), false);
  assert.deepEqual(readdirSync(w.backup), [SEGMENT]);
  assert.equal(await migrateEtcdDataDir({ memberDir, walDir }, quiet), true, 'member/ swapped in');
  await assertMigrated(root, memberDir, walDir, 'copied');
});

test('copying a --wal-dir cut short at either end: a start copies again and finishes', async (t) => {
  for (const stoppedWhile of ['backing up etcd\'s segments', 'removing etcd\'s segments', 'copying etcd-ts\'s segments in'] as const) {
    const { root, memberDir, walDir, w } = await migratedThenMemberSwapUndone(t);
    renameSync(walDir, w.ready);
    if (stoppedWhile === 'backing up etcd\'s segments') {
      // The backup half copied, not yet renamed into place: etcd's segments still all in the --wal-dir.
      renameSync(w.backup, walDir);
      mkdirSync(`${w.backup}.copying`);
      writeFileSync(join(`${w.backup}.copying`, SEGMENT), etcdSegment.subarray(0, 100));
    } else {
      // The backup whole; the --wal-dir still holds etcd's segment, or part of etcd-ts's.
      mkdirSync(walDir);
      if (stoppedWhile === 'removing etcd\'s segments') writeFileSync(join(walDir, SEGMENT), etcdSegment);
      else writeFileSync(join(walDir, `${SEGMENT}.tmp`), readFileSync(join(w.ready, SEGMENT)).subarray(0, 100));
    }
    await swapInWal(w, crossDevice);
    assert.equal(await migrateEtcdDataDir({ memberDir, walDir }, quiet), true, stoppedWhile);
    await assertMigrated(root, memberDir, walDir, stoppedWhile);
  }
});
