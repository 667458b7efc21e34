// Migrating a member/ that real etcd 3.4 wrote (test/fixtures/etcd-3.4-member, see its
// README) into etcd-ts's files: etcd's WAL as etcd reads it, the migrated member as
// etcd-ts opens it, and the crash windows of the migration.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { entriesAfter, readEtcdWal } from '../../src/migrate/etcd-wal-reader.js';
import { isEtcdWal, migrateEtcdDataDir, migrationDirs } from '../../src/migrate/migrate-etcd-data-dir.js';
import { Metadata } from '../../src/gen/etcdserverpb/etcdserver.js';
import { WAL } from '../../src/wal/wal.js';
import { Snapshotter } from '../../src/snap/snapshotter.js';
import { Backend } from '../../src/storage/backend.js';
import { decodeWalMetadata } from '../../src/embed/wal-metadata.js';
import { decodeMember } from '../../src/server/membership.js';
import { tempRoot } from '../wal/helpers.js';
import { DirLock } from '../../src/wal/dir-lock.js';
import { WalLockedError } from '../../src/wal/errors.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/etcd-3.4-member/', import.meta.url));
const SEGMENT = '0000000000000000-0000000000000000.wal';
const MEMBER_ID = 0x3760a4ec3b84f7fan;
const CLUSTER_ID = 0x89e49d7f81553f67n;

const quiet = { info: () => {}, warn: () => {} };

/** A copy of the fixture as <root>/data/member. */
function etcdDataDir(root: string): { memberDir: string; walDir: string } {
  const memberDir = join(root, 'data', 'member');
  mkdirSync(memberDir, { recursive: true });
  cpSync(join(FIXTURE, 'snap'), join(memberDir, 'snap'), { recursive: true });
  cpSync(join(FIXTURE, 'wal'), join(memberDir, 'wal'), { recursive: true });
  return { memberDir, walDir: join(memberDir, 'wal') };
}

function etcdWalBytes(memberDir: string): Buffer {
  return readFileSync(join(memberDir, 'wal', SEGMENT));
}

/** What etcd-ts reads back from a migrated member/. */
async function openMigrated(memberDir: string) {
  const snap = await new Snapshotter(join(memberDir, 'snap')).load();
  const wal = await WAL.open(join(memberDir, 'wal'), { fromSnapshot: { index: snap.metadata.index, term: snap.metadata.term } });
  try {
    const contents = await wal.readAll();
    return { snap, ...contents, ids: decodeWalMetadata(contents.metadata) };
  } finally {
    await wal.close();
  }
}

test('etcd\'s WAL reads as etcd reads it: ids, snapshot marks, entries after the snapshot, last hard state', async () => {
  const wal = await readEtcdWal(join(FIXTURE, 'wal'));
  const meta = Metadata.decode(wal.metadata);
  assert.equal(meta.NodeID, MEMBER_ID);
  assert.equal(meta.ClusterID, CLUSTER_ID);
  assert.deepEqual(wal.marks, [{ index: 0, term: 0 }, { index: 11, term: 2 }]);
  assert.deepEqual(wal.hardState, { term: 2, vote: MEMBER_ID, commit: 18 });
  assert.deepEqual(entriesAfter(wal, { index: 11, term: 2 }).map((e) => e.index), [12, 13, 14, 15, 16, 17, 18]);
  assert.equal(await isEtcdWal(join(FIXTURE, 'wal')), true);
});

test('a damaged record of etcd\'s WAL is refused; a zeroed tail is a torn write and ends the log', async (t) => {
  const root = tempRoot(t);
  const { walDir } = etcdDataDir(root);
  const path = join(walDir, SEGMENT);
  const good = readFileSync(path);
  const flipped = Buffer.from(good);
  flipped[good.length - 20] ^= 0xff;
  writeFileSync(path, flipped);
  await assert.rejects(readEtcdWal(walDir), /etcd wal: .*in .* at offset/);

  // The file's last 512-byte sector zeroed, as a crash mid-write can leave it: the log
  // ends before it (a record partly in it is a torn write, not damage).
  const torn = Buffer.from(good);
  torn.fill(0, 1536);
  writeFileSync(path, torn);
  const wal = await readEtcdWal(walDir);
  assert.ok(wal.entries.length > 0);
  assert.ok(wal.entries.at(-1)!.index < 18);
});

test('migration: etcd-ts opens the member at etcd\'s snapshot with its ids, log and hard state; etcd\'s files are kept', async (t) => {
  const root = tempRoot(t);
  const { memberDir, walDir } = etcdDataDir(root);
  const before = etcdWalBytes(memberDir);
  assert.equal(await migrateEtcdDataDir({ memberDir, walDir }, quiet), true);

  const got = await openMigrated(memberDir);
  assert.deepEqual(got.ids, { memberId: MEMBER_ID, clusterId: CLUSTER_ID });
  assert.deepEqual(got.snap.metadata, { index: 11, term: 2, confState: { voters: [MEMBER_ID], learners: [] } });
  assert.deepEqual(got.hardState, { term: 2, vote: MEMBER_ID, commit: 18 });
  assert.deepEqual(got.entries.map((e) => [e.index, e.term]), [12, 13, 14, 15, 16, 17, 18].map((i) => [i, 2]));

  const backend = Backend.open(join(memberDir, 'snap', 'db'));
  try {
    const members = backend.range('members', Buffer.alloc(0)).map((e) => decodeMember(e.value));
    assert.deepEqual(members.map((m) => [m.id, m.name, m.peerURLs]), [[MEMBER_ID, 'default', ['http://127.0.0.1:23803']]]);
    assert.equal(backend.range('key', Buffer.alloc(0)).length, 14);
  } finally {
    await backend.close();
  }
  const backup = migrationDirs(memberDir).backup;
  assert.deepEqual(etcdWalBytes(backup), before, 'etcd\'s WAL is kept as it was');
  assert.equal(await isEtcdWal(walDir), false);
  // A second start finds etcd-ts files: nothing to do.
  assert.equal(await migrateEtcdDataDir({ memberDir, walDir }, quiet), false);
});

test('a crash while building leaves etcd\'s member/ as it was, and the next start migrates again', async (t) => {
  const root = tempRoot(t);
  const { memberDir, walDir } = etcdDataDir(root);
  const dirs = migrationDirs(memberDir);
  const db = join(memberDir, 'snap', 'db');
  const dbBytes = readFileSync(db);
  // The bbolt file cut short: the import fails part way.
  truncateSync(db, 8192);
  await assert.rejects(migrateEtcdDataDir({ memberDir, walDir }, quiet));
  assert.equal(existsSync(dirs.backup), false);
  assert.equal(existsSync(dirs.ready), false);
  assert.equal(await isEtcdWal(walDir), true, 'member/ is still etcd\'s');

  writeFileSync(db, dbBytes);
  // What a killed process would leave beside member/: half a build.
  mkdirSync(join(dirs.building, 'wal'), { recursive: true });
  writeFileSync(join(dirs.building, 'wal', 'junk'), 'x');
  assert.equal(await migrateEtcdDataDir({ memberDir, walDir }, quiet), true);
  assert.equal(existsSync(dirs.building), false);
  assert.equal((await openMigrated(memberDir)).hardState?.commit, 18);
});

test('a crash around the swap: a built member is swapped in on the next start, whichever rename it stopped before', async (t) => {
  for (const stoppedBefore of ['first rename', 'second rename'] as const) {
    const root = join(tempRoot(t), stoppedBefore.replace(' ', '-'));
    const { memberDir, walDir } = etcdDataDir(root);
    const dirs = migrationDirs(memberDir);
    await migrateEtcdDataDir({ memberDir, walDir }, quiet);
    // Back to the moment of the crash.
    renameSync(memberDir, dirs.ready);
    if (stoppedBefore === 'first rename') renameSync(dirs.backup, memberDir);

    assert.equal(await migrateEtcdDataDir({ memberDir, walDir }, quiet), true, stoppedBefore);
    assert.equal(existsSync(dirs.ready), false);
    assert.equal(await isEtcdWal(join(dirs.backup, 'wal')), true, `${stoppedBefore}: etcd's files in the backup`);
    assert.equal((await openMigrated(memberDir)).hardState?.commit, 18, stoppedBefore);
    assert.deepEqual(readdirSync(join(root, 'data')).sort(), ['member', 'member.etcd-backup']);
  }
});

test('a migration already running on the data dir (its lock held) refuses a second one and leaves etcd\'s files alone', async (t) => {
  const root = tempRoot(t);
  const { memberDir, walDir } = etcdDataDir(root);
  const before = etcdWalBytes(memberDir);
  const held = DirLock.acquire(join(root, 'data'));
  try {
    await assert.rejects(migrateEtcdDataDir({ memberDir, walDir }, quiet), WalLockedError);
  } finally {
    held.release();
  }
  assert.deepEqual(etcdWalBytes(memberDir), before);
  assert.equal(existsSync(migrationDirs(memberDir).building), false);
  // With the lock free, the migration goes ahead.
  assert.equal(await migrateEtcdDataDir({ memberDir, walDir }, quiet), true);
  assert.equal(existsSync(join(root, 'data', 'LOCK')), false);
});
