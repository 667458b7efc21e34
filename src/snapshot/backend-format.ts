// Which backend a db file holds, by the magic number both formats put right after the
// header of their first (meta) page: bbolt's 0xED0CDAED at byte 16 (real etcd's files),
// LMDB's 0xBEEFC0DE at byte 24 (etcd-ts's own; the LMDB build in lmdb-js has a 24-byte
// page header, with the page's txn id). Anything else is refused with bbolt's words, "invalid
// database", before LMDB is asked to map it (LMDB does not survive a garbage file).

import { open } from 'node:fs/promises';
import { BBOLT_MAGIC } from '../storage/bbolt-reader.js';

const LMDB_MAGIC = 0xbeefc0de;
const BBOLT_MAGIC_OFFSET = 16;
const LMDB_MAGIC_OFFSET = 24;

export type BackendFormat = 'bbolt' | 'lmdb' | 'unknown';

export async function backendFormat(path: string): Promise<BackendFormat> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(LMDB_MAGIC_OFFSET + 4);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead < head.length) return 'unknown';
    if (head.readUInt32LE(BBOLT_MAGIC_OFFSET) === BBOLT_MAGIC) return 'bbolt';
    if (head.readUInt32LE(LMDB_MAGIC_OFFSET) === LMDB_MAGIC) return 'lmdb';
    return 'unknown';
  } finally {
    await fh.close();
  }
}
