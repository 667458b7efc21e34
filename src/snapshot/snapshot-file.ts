// A saved snapshot file: the backend's bytes, then (when saved through the Snapshot rpc)
// the SHA-256 of those bytes. As etcd decides it, a file carries the digest when its
// size is 32 past a multiple of 512: backend files are whole pages (LMDB's and bbolt's
// pages are multiples of 512), so a bare copy of a data dir's db never looks hashed.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, open, stat, truncate } from 'node:fs/promises';

export const SHA256_BYTES = 32;
const HASH_ALIGN_BYTES = 512;

export function hasHashTrailer(sizeBytes: number): boolean {
  return sizeBytes % HASH_ALIGN_BYTES === SHA256_BYTES;
}

/** Go's %v of a []byte: "[1 2 3]". */
function goByteList(b: Uint8Array): string {
  return `[${[...b].join(' ')}]`;
}

async function sha256Of(path: string, end: number): Promise<Buffer> {
  const h = createHash('sha256');
  if (end > 0) for await (const chunk of createReadStream(path, { start: 0, end: end - 1 })) h.update(chunk as Buffer);
  return h.digest();
}

async function trailerOf(path: string, size: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(SHA256_BYTES);
    await fh.read(b, 0, SHA256_BYTES, size - SHA256_BYTES);
    return b;
  } finally {
    await fh.close();
  }
}

/**
 * Copies the backend part of snapshot `src` to `dst` (the digest, if any, cut off) and
 * checks the digest unless `skipHashCheck`. Throws etcd's errors: "snapshot missing hash
 * but --skip-hash-check=false" and "expected sha256 [..], got [..]" (stored, then computed).
 * Like etcd, the copy is left in place when the check fails.
 */
export async function copyVerifiedDb(src: string, dst: string, skipHashCheck: boolean): Promise<void> {
  await copyFile(src, dst);
  const size = (await stat(dst)).size;
  const hashed = hasHashTrailer(size);
  let stored: Buffer | undefined;
  if (hashed) {
    stored = await trailerOf(dst, size);
    await truncate(dst, size - SHA256_BYTES);
  }
  if (skipHashCheck) return;
  if (!stored) throw new Error('snapshot missing hash but --skip-hash-check=false');
  const got = await sha256Of(dst, size - SHA256_BYTES);
  if (!got.equals(stored)) throw new Error(`expected sha256 ${goByteList(stored)}, got ${goByteList(got)}`);
}
