// `snapshot status <file>`: what a snapshot holds, computed the way etcd computes it for
// a bbolt file: a CRC-32C over every bucket in name order (the bucket's name, then each
// key and value in key order), the revision of the newest entry in the `key` bucket,
// the number of entries in all buckets, and the size of the backend part of the file.
// The file itself is never opened for writing: a copy in a temporary directory is.
// A bbolt file (a snapshot of real etcd) is read directly: see bbolt-snapshot.ts.

import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend, BUCKETS } from '../storage/backend.js';
import { decodeRev } from '../mvcc/revision.js';
import { copyVerifiedDb } from './snapshot-file.js';
import { bboltStatus } from './bbolt-snapshot.js';
import { backendFormat } from './backend-format.js';
import { goPathError } from '../pkg/go-os-errors.js';

export interface SnapshotStatus {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

/** Go's errors for a file status cannot read: stat's, then bbolt's open (O_CREAT, which a directory refuses). */
async function checkFile(path: string): Promise<void> {
  let file;
  try {
    file = await stat(path);
  } catch (e) {
    throw new Error(goPathError('stat', path, e) ?? (e as Error).message);
  }
  if (file.isDirectory()) throw new Error(goPathError('open', path, { code: 'EISDIR' })!);
}

export async function snapshotStatus(path: string): Promise<SnapshotStatus> {
  await checkFile(path);
  const format = await backendFormat(path);
  if (format === 'unknown') throw new Error('invalid database');
  if (format === 'bbolt') return bboltStatus(path);
  const dir = await mkdtemp(join(tmpdir(), 'etcd-snapshot-status-'));
  try {
    const db = join(dir, 'db');
    await copyVerifiedDb(path, db, true);
    const totalSize = (await stat(db)).size;
    const backend = Backend.open(db);
    try {
      const hash = await backend.hash();
      let totalKey = 0;
      let revision = 0;
      const view = backend.readView();
      try {
        for (const bucket of BUCKETS) {
          for (const { key } of view.iterate(bucket)) {
            totalKey++;
            if (bucket === 'key') revision = decodeRev(key).rev.main;
          }
        }
      } finally {
        view.done();
      }
      return { hash, revision, totalKey, totalSize };
    } finally {
      await backend.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
