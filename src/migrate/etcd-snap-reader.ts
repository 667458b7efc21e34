// Finds the raft snapshot etcd would restart from: the newest intact `<term>-<index>.snap`
// file in member/snap that the WAL also has a snapshot record for. Its file is a
// snappb.Snapshot (the CRC-32C of the data, then the data: a raftpb.Snapshot whose data
// is the v2 store: etcd-ts keeps only the membership it records, see etcd-membership.ts).

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { decodeRaftSnapshot, decodeSnapFile, type EtcdRaftSnapshot, type EtcdSnapshotMark } from './etcd-protos.js';

const SNAP_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

export type SnapSkipped = (path: string, why: string) => void;

/** Undefined when no snapshot file matches (etcd then replays its WAL from the start). */
export async function newestEtcdSnapshot(snapDir: string, marks: readonly EtcdSnapshotMark[], skipped: SnapSkipped): Promise<EtcdRaftSnapshot | undefined> {
  const known = new Set(marks.map((m) => `${m.term}/${m.index}`));
  const names = (await readdir(snapDir)).filter((n) => SNAP_NAME.test(n)).sort().reverse();
  for (const name of names) {
    const m = SNAP_NAME.exec(name)!;
    const term = parseInt(m[1]!, 16);
    const index = parseInt(m[2]!, 16);
    const path = join(snapDir, name);
    if (!known.has(`${term}/${index}`)) {
      skipped(path, 'the wal has no record of it');
      continue;
    }
    try {
      const file = decodeSnapFile(await readFile(path));
      if (file.data.length === 0) throw new Error('empty snapshot');
      if ((crc32c(Buffer.from(file.data.buffer, file.data.byteOffset, file.data.byteLength)) >>> 0) !== file.crc) throw new Error('crc mismatch');
      const snap = decodeRaftSnapshot(file.data);
      if (snap.index !== index || snap.term !== term) throw new Error(`holds index ${snap.index} term ${snap.term}`);
      return snap;
    } catch (e) {
      skipped(path, (e as Error).message);
    }
  }
  return undefined;
}
