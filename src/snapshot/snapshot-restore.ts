// `snapshot restore <file>`: makes the data dir of one member of a new cluster from a
// snapshot, as etcd's restore does. Every member of the new cluster is restored from the
// same file with the same --initial-cluster and token, so all compute the same ids:
//
// - member/snap/db: the snapshot's backend, its digest checked and cut off; the old
//   cluster's membership replaced by the new one; leases and keys kept; the consistent
//   index set to the last bootstrap entry, so a restart applies nothing twice.
// - the WAL: metadata (this member, the new cluster), one committed AddNode conf change
//   per member (term 1, indexes 1..n, in member id order), and the hard state
//   {term 1, vote the first member, commit n}. A restart replays these to raft, which so
//   learns the voters, exactly as after a first start.
//
// etcd also writes a v2 store snapshot (member/snap/*.snap); etcd-ts keeps no v2 store
// and its restart reads membership from the backend, so none is written.

import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Backend } from '../storage/backend.js';
import { WAL } from '../wal/wal.js';
import { encodeConfChange } from '../raft/confchange-codec.js';
import { ConfChangeType, EntryType, type Entry } from '../raft/types.js';
import { encodeMember, type Member } from '../server/membership.js';
import { replaceBackendMembership } from '../embed/backend-membership.js';
import { META_CONSISTENT_INDEX, META_TERM } from '../mvcc/kv-store.js';
import { META_FINISHED_COMPACT } from '../mvcc/kv-compaction.js';
import { decodeRev } from '../mvcc/revision.js';
import { bootstrapIds, formatId, type BootstrapMember } from '../embed/identity.js';
import { verifyBootstrap } from '../embed/bootstrap-check.js';
import { encodeWalMetadata } from '../embed/wal-metadata.js';
import { parseUrlsMap } from '../pkg/go-url.js';
import { copyVerifiedDb } from './snapshot-file.js';
import { importBbolt } from './bbolt-snapshot.js';
import { backendFormat } from './backend-format.js';
import { goPathError } from '../pkg/go-os-errors.js';

/** The term every bootstrap entry is written in. */
const BOOTSTRAP_TERM = 1;

export interface RestoreOptions {
  snapshotPath: string;
  name: string;
  /** Empty: `<name>.etcd`. */
  dataDir: string;
  /** Empty: `<data-dir>/member/wal`. */
  walDir: string;
  initialCluster: string;
  initialClusterToken: string;
  initialAdvertisePeerUrls: string[];
  skipHashCheck: boolean;
  /**
   * etcdctl 3.4 refuses any existing --data-dir; etcdutl 3.5 accepts an empty one (a
   * mounted volume) and words the refusal differently.
   */
  dialect: '3.4' | '3.5';
  /** Progress lines, with etcd's messages and fields; `caller` is etcd's source position. */
  log(caller: string, msg: string, fields: Record<string, unknown>): void;
}

export interface RestoredMember {
  dataDir: string;
  walDir: string;
  memberId: bigint;
  clusterId: bigint;
  members: BootstrapMember[];
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

function openError(path: string, e: unknown): Error {
  return new Error(goPathError('open', path, e) ?? `open ${path}: ${(e as Error).message}`);
}

function isEmptyDir(path: string): boolean {
  try {
    return readdirSync(path).length === 0;
  } catch {
    return false;
  }
}

/** Members in id order, as etcd lists them. */
function byId(members: readonly BootstrapMember[]): BootstrapMember[] {
  return [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Checks the flags and computes the new cluster, before anything is written. */
export function planRestore(o: RestoreOptions): RestoredMember {
  let initialCluster: Map<string, string[]>;
  let initialClusterError: string | undefined;
  try {
    initialCluster = parseUrlsMap(o.initialCluster);
  } catch (e) {
    initialCluster = new Map();
    initialClusterError = (e as Error).message;
  }
  const problem = verifyBootstrap({
    name: o.name,
    initialCluster,
    initialClusterError,
    initialAdvertisePeerUrls: o.initialAdvertisePeerUrls,
    discovery: '',
    initialClusterState: 'new',
  });
  if (problem !== undefined) throw new Error(problem);
  const boot = bootstrapIds(initialCluster, o.initialClusterToken);
  const dataDir = o.dataDir !== '' ? o.dataDir : `${o.name}.etcd`;
  if (o.dialect === '3.4' && existsSync(dataDir)) throw new Error(`data-dir ${JSON.stringify(dataDir)} exists`);
  if (o.dialect === '3.5' && existsSync(dataDir) && !isEmptyDir(dataDir)) throw new Error(`data-dir ${JSON.stringify(dataDir)} not empty or could not be read`);
  let walDir = o.walDir;
  if (walDir === '') walDir = join(dataDir, 'member', 'wal');
  else if (existsSync(walDir)) throw new Error(`wal-dir ${JSON.stringify(walDir)} exists`);
  const me = boot.members.find((m) => m.name === o.name)!;
  return { dataDir, walDir, memberId: me.id, clusterId: boot.clusterId, members: byId(boot.members) };
}

async function rewriteBackend(dbPath: string, plan: RestoredMember, log: RestoreOptions['log']): Promise<void> {
  const backend = Backend.open(dbPath);
  try {
    // etcd opens its mvcc store on the copy, which reports a finished compaction.
    const finished = backend.get('meta', META_FINISHED_COMPACT);
    if (finished !== undefined) {
      log('mvcc/kvstore.go:388', 'restored last compact revision', {
        'meta-bucket-name': 'meta',
        'meta-bucket-name-key': META_FINISHED_COMPACT.toString(),
        'restored-compact-revision': decodeRev(finished).rev.main,
      });
    }
    replaceBackendMembership(backend, plan.members.map(restoredMember));
    backend.put('meta', META_CONSISTENT_INDEX, u64(plan.members.length));
    backend.put('meta', META_TERM, u64(BOOTSTRAP_TERM));
  } finally {
    await backend.close();
  }
}

/** A snapshot from real etcd: its pairs move into an etcd-ts backend at the same path. */
async function convertFromBbolt(dbPath: string): Promise<void> {
  const bboltPath = `${dbPath}.bbolt`;
  await rename(dbPath, bboltPath);
  await importBbolt(bboltPath, dbPath);
  await rm(bboltPath);
}

/** A member of the restored cluster as it is stored: no client URLs until it publishes them. */
function restoredMember(m: BootstrapMember): Member {
  return { id: m.id, name: m.name, peerURLs: m.peerUrls, clientURLs: [], isLearner: false };
}

async function writeWal(plan: RestoredMember): Promise<void> {
  const entries: Entry[] = plan.members.map((m, i) => ({
    term: BOOTSTRAP_TERM,
    index: i + 1,
    type: EntryType.ConfChange,
    data: encodeConfChange({
      type: ConfChangeType.AddNode,
      nodeId: m.id,
      id: 0n,
      context: encodeMember(restoredMember(m)),
    }),
  }));
  const wal = await WAL.create(plan.walDir, encodeWalMetadata(plan.memberId, plan.clusterId));
  try {
    await wal.save({ term: BOOTSTRAP_TERM, vote: plan.members[0]!.id, commit: entries.length }, entries);
  } finally {
    await wal.close();
  }
}

export async function restoreSnapshot(o: RestoreOptions): Promise<RestoredMember> {
  const plan = planRestore(o);
  const snapDir = join(plan.dataDir, 'member', 'snap');
  const where = { path: o.snapshotPath, 'wal-dir': plan.walDir, 'data-dir': plan.dataDir, 'snap-dir': snapDir };
  o.log('snapshot/v3_snapshot.go:296', 'restoring snapshot', where);
  let file;
  try {
    file = await stat(o.snapshotPath);
  } catch (e) {
    throw openError(o.snapshotPath, e);
  }
  // Opening a directory succeeds; reading its digest is what fails, before anything is created.
  if (file.isDirectory()) throw new Error(goPathError('read', o.snapshotPath, { code: 'EISDIR' })!);
  await mkdir(snapDir, { recursive: true, mode: 0o700 });
  const dbPath = join(snapDir, 'db');
  await copyVerifiedDb(o.snapshotPath, dbPath, o.skipHashCheck);
  const format = await backendFormat(dbPath);
  // etcd panics here ("cannot open database at <db> (invalid database)"); a plain error says the same.
  if (format === 'unknown') throw new Error(`cannot open database at ${dbPath} (invalid database)`);
  if (format === 'bbolt') await convertFromBbolt(dbPath);
  await rewriteBackend(dbPath, plan, o.log);
  for (const m of plan.members) {
    o.log('membership/cluster.go:392', 'added member', {
      'cluster-id': formatId(plan.clusterId),
      'local-member-id': '0',
      'added-peer-id': formatId(m.id),
      'added-peer-peer-urls': m.peerUrls,
    });
  }
  await writeWal(plan);
  o.log('snapshot/v3_snapshot.go:309', 'restored snapshot', where);
  return plan;
}
