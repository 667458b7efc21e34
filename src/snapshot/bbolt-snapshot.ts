// Snapshots taken from real etcd: bbolt files (with the usual SHA-256 trailer when saved
// through the Snapshot rpc). etcd-ts stores the same buckets with the same keys and the
// same value encodings as etcd (revision-keyed mvccpb.KeyValue in `key`, leasepb.Lease
// under the big-endian id in `lease`, authpb users and roles, the meta keys), so an
// import copies every pair as it is into a fresh LMDB backend. The old cluster's
// membership is copied too, in etcd's JSON; restore replaces it right after, as it does
// for our own files.
//
// Status is computed from the bbolt file itself, as etcd computes it: the size is bbolt's
// Tx.Size (pages in use × page size, not the file's length), the hash a CRC-32C over the
// buckets present in the file.

import { rm } from 'node:fs/promises';
import { crc32c } from '@node-rs/crc32';
import { BboltReader, fileSource } from '../storage/bbolt-reader.js';
import { Backend, BUCKETS, type Bucket } from '../storage/backend.js';
import { decodeRev } from '../mvcc/revision.js';
import type { SnapshotStatus } from './snapshot-status.js';

/** Pairs put between commits while importing, so the write buffer stays bounded. */
const IMPORT_CHUNK_ENTRIES = 10_000;

function isKnownBucket(name: string): name is Bucket {
  return (BUCKETS as readonly string[]).includes(name);
}

/** etcd's `snapshot status` over a bbolt file (trailer, if any, ignored as bbolt ignores it). */
export async function bboltStatus(path: string): Promise<SnapshotStatus> {
  return withReader(path, (reader) => statusOf(reader));
}

/** Runs `fn` over the bbolt file at `path`, read page by page (snapshots can be gigabytes). */
async function withReader<T>(path: string, fn: (reader: BboltReader) => Promise<T> | T): Promise<T> {
  const source = fileSource(path);
  try {
    return await fn(new BboltReader(source, path));
  } finally {
    source.close();
  }
}

function statusOf(reader: BboltReader): SnapshotStatus {
  let crc = 0;
  let totalKey = 0;
  let revision = 0;
  for (const name of reader.bucketNames()) {
    crc = crc32c(name, crc);
    const isKey = name.toString() === 'key';
    for (const { key, value } of reader.bucket(name.toString('latin1'))) {
      crc = crc32c(value, crc32c(key, crc));
      if (isKey) revision = decodeRev(key).rev.main;
      totalKey++;
    }
  }
  return { hash: crc >>> 0, revision, totalKey, totalSize: reader.sizeBytes };
}

/**
 * Writes a fresh etcd-ts backend at `lmdbPath` holding every pair of the bbolt file at
 * `bboltPath`. Buckets etcd-ts does not have (none in etcd 3.4/3.5 files) are reported
 * through `skipped` and left out.
 */
export async function importBbolt(bboltPath: string, lmdbPath: string, skipped: (bucket: string) => void = () => {}): Promise<void> {
  await withReader(bboltPath, (reader) => importInto(reader, lmdbPath, skipped));
}

async function importInto(reader: BboltReader, lmdbPath: string, skipped: (bucket: string) => void): Promise<void> {
  await rm(lmdbPath, { force: true });
  const backend = Backend.open(lmdbPath);
  try {
    let n = 0;
    for (const name of reader.bucketNames()) {
      const bucket = name.toString('latin1');
      if (!isKnownBucket(bucket)) {
        skipped(bucket);
        continue;
      }
      for (const { key, value } of reader.bucket(bucket)) {
        // Copies: the reader's buffers are views into its pages.
        backend.put(bucket, Buffer.from(key), Buffer.from(value));
        if (++n % IMPORT_CHUNK_ENTRIES === 0) await backend.forceCommit();
      }
    }
    await backend.forceCommit();
  } finally {
    await backend.close();
  }
}
