// A read-only reader of bbolt database files: the backend real etcd writes and the file
// `etcdctl snapshot save` produces from it. etcd-ts keeps its data in LMDB; this reader
// exists so a snapshot taken from real etcd can be inspected and restored here.
//
// The format, as bbolt lays it out (all integers little-endian: bbolt writes its structs
// in the machine's order and etcd runs on little-endian machines):
//
// - The file is a sequence of pages of `pageSize` bytes; page N starts at N * pageSize.
//   A page may run on over `overflow` more pages (large values, big branch pages).
// - Page header, 16 bytes: id u64, flags u16 (branch 0x01, leaf 0x02, meta 0x04,
//   freelist 0x10), count u16 (number of elements), overflow u32.
// - Pages 0 and 1 are meta pages, written alternately by commits; the one with the
//   higher txid whose checksum holds is current (the other may be torn by a crash).
//   Meta, right after the header: magic u32 (0xED0CDAED), version u32 (2), pageSize u32,
//   flags u32, root bucket {root pgid u64, sequence u64}, freelist pgid u64, pgid u64
//   (the high-water mark: pages in use), txid u64, checksum u64 (FNV-1a 64 of the 56
//   bytes before it).
// - A branch page holds `count` elements of 16 bytes: pos u32, ksize u32, pgid u64; the
//   key is `ksize` bytes at (element's offset + pos) and is the smallest key under pgid.
// - A leaf page holds `count` elements of 16 bytes: flags u32, pos u32, ksize u32,
//   vsize u32; the key at (element's offset + pos), the value right after it. Flag 0x01
//   marks a nested bucket: its value is the bucket header {root pgid u64, sequence u64};
//   a root pgid of 0 means an inline bucket whose single leaf page follows the header
//   inside the value itself.
// - The root bucket's keys are the top-level bucket names (etcd's "key", "meta", ...).

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export const BBOLT_MAGIC = 0xed0cdaed;
export const BBOLT_VERSION = 2;

export const PAGE_HEADER_BYTES = 16;
export const ELEMENT_BYTES = 16;
export const META_CHECKSUMMED_BYTES = 56;
export const BUCKET_HEADER_BYTES = 16;

export const FLAG_BRANCH = 0x01;
export const FLAG_LEAF = 0x02;
export const FLAG_META = 0x04;
export const LEAF_FLAG_BUCKET = 0x01;
/**
 * Deeper than any real tree (each level multiplies the fan-out by tens at least), so
 * reaching it means a damaged file whose branch pages point in a cycle.
 */
const MAX_TREE_DEPTH = 64;

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const U64_MASK = 0xffffffffffffffffn;

/** The current meta page's contents. */
export interface BboltMeta {
  pageSize: number;
  rootPgid: number;
  /** All ones when the freelist is not written to the file (bbolt's NoFreelistSync, which etcd sets). */
  freelistPgid: bigint;
  /** Pages in use: the file's logical size is pgid * pageSize (bbolt's Tx.Size). */
  pgid: number;
  txid: bigint;
}

export interface BboltEntry {
  key: Buffer;
  value: Buffer;
}

export class NotBboltError extends Error {}

/**
 * Where the file's bytes come from: a Buffer, or an open file read page by page, so a
 * multi-gigabyte snapshot need not be held in memory (nor fit Node's Buffer limit).
 */
export interface ByteSource {
  readonly size: number;
  /** `length` bytes at `offset`, fewer at the end of the file. */
  read(offset: number, length: number): Buffer;
}

export function bufferSource(b: Buffer): ByteSource {
  return { size: b.length, read: (offset, length) => b.subarray(offset, offset + length) };
}

/** A file read on demand; close() releases it. */
export function fileSource(path: string): ByteSource & { close(): void } {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  return {
    size,
    read(offset, length) {
      const n = Math.max(0, Math.min(length, size - offset));
      const b = Buffer.allocUnsafe(n);
      let done = 0;
      while (done < n) {
        const got = readSync(fd, b, done, n - done, offset + done);
        if (got === 0) break;
        done += got;
      }
      return b.subarray(0, done);
    },
    close: () => closeSync(fd),
  };
}

/** FNV-1a, 64 bits: the checksum of a meta page. */
export function fnv1a64(b: Buffer): bigint {
  let h = FNV64_OFFSET;
  for (const byte of b) h = ((h ^ BigInt(byte)) * FNV64_PRIME) & U64_MASK;
  return h;
}

/** For page ids and counts: exact, as no file comes near 2^53 bytes. */
function u64(b: Buffer, at: number): number {
  return Number(b.readBigUInt64LE(at));
}

/** Whether `file` starts like a bbolt database (page 0 is a meta page with bbolt's magic). */
export function looksLikeBbolt(file: Buffer): boolean {
  return file.length >= PAGE_HEADER_BYTES + 4 && file.readUInt32LE(PAGE_HEADER_BYTES) === BBOLT_MAGIC;
}

/** The meta page at `offset` if it is a valid one, else why not. */
function readMetaAt(source: ByteSource, offset: number): BboltMeta | string {
  const file = source.read(offset, PAGE_HEADER_BYTES + 64);
  if (file.length < PAGE_HEADER_BYTES + 64) return 'file too small';
  const m = PAGE_HEADER_BYTES;
  if ((file.readUInt16LE(8) & FLAG_META) === 0) return 'not a meta page';
  if (file.readUInt32LE(m) !== BBOLT_MAGIC) return 'invalid database (bad magic)';
  if (file.readUInt32LE(m + 4) !== BBOLT_VERSION) return `version mismatch (${file.readUInt32LE(m + 4)})`;
  const stored = file.readBigUInt64LE(m + META_CHECKSUMMED_BYTES);
  if (fnv1a64(file.subarray(m, m + META_CHECKSUMMED_BYTES)) !== stored) return 'checksum error';
  const pageSize = file.readUInt32LE(m + 8);
  // bbolt uses the OS page size: a power of two, at least 512 bytes.
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) return `invalid page size ${pageSize}`;
  return {
    pageSize,
    rootPgid: u64(file, m + 16),
    freelistPgid: file.readBigUInt64LE(m + 32),
    pgid: u64(file, m + 40),
    txid: file.readBigUInt64LE(m + 48),
  };
}

/**
 * A bbolt file, from a Buffer or a ByteSource. Construction validates the meta pages and
 * throws NotBboltError ("<what>: not a bbolt database: <why>") for anything else.
 */
export class BboltReader {
  readonly meta: BboltMeta;
  private readonly source: ByteSource;

  constructor(file: Buffer | ByteSource, what = 'file') {
    this.source = Buffer.isBuffer(file) ? bufferSource(file) : file;
    if (!looksLikeBbolt(this.source.read(0, PAGE_HEADER_BYTES + 4))) throw new NotBboltError(`${what}: not a bbolt database: invalid magic`);
    const first = readMetaAt(this.source, 0);
    // Page 1 sits one page further; if meta 0 is damaged its page size is unknown, so the
    // common sizes are tried.
    const sizes = typeof first === 'string' ? [4096, 8192, 16384, 65536] : [first.pageSize];
    let second: BboltMeta | string = 'missing';
    for (const size of sizes) {
      second = readMetaAt(this.source, size);
      if (typeof second !== 'string') break;
    }
    const valid = [first, second].filter((m): m is BboltMeta => typeof m !== 'string');
    if (valid.length === 0) throw new NotBboltError(`${what}: not a bbolt database: ${String(first)}`);
    this.meta = valid.reduce((a, b) => (b.txid > a.txid ? b : a));
    if (this.meta.pgid * this.meta.pageSize > this.source.size) {
      throw new NotBboltError(`${what}: bbolt database truncated: ${this.source.size} bytes, meta says ${this.meta.pgid} pages of ${this.meta.pageSize}`);
    }
  }

  /** bbolt's Tx.Size: the bytes of the pages in use, which is what etcd reports as a db's size. */
  get sizeBytes(): number {
    return this.meta.pgid * this.meta.pageSize;
  }

  /** Names of the top-level buckets, in key (bytewise) order. */
  bucketNames(): Buffer[] {
    const out: Buffer[] = [];
    for (const e of this.walkRoot()) out.push(e.key);
    return out;
  }

  /** Every (bucket, key, value) of the top-level buckets: buckets in name order, keys in order. */
  *entries(): Generator<{ bucket: Buffer } & BboltEntry> {
    for (const b of this.walkRoot()) {
      for (const e of this.walkBucketValue(b.value)) yield { bucket: b.key, ...e };
    }
  }

  /** The entries of one top-level bucket, in key order; empty if there is no such bucket. */
  *bucket(name: string): Generator<BboltEntry> {
    const wanted = Buffer.from(name);
    for (const b of this.walkRoot()) {
      if (b.key.equals(wanted)) yield* this.walkBucketValue(b.value);
    }
  }

  /** The root bucket's elements that are buckets (all of etcd's are). */
  private *walkRoot(): Generator<BboltEntry> {
    for (const e of this.walkTree(this.pageAt(this.meta.rootPgid), this.meta.rootPgid)) {
      if (e.isBucket) yield { key: e.key, value: e.value };
    }
  }

  /** Key/value pairs under a bucket header; nested buckets (etcd has none) are skipped. */
  private *walkBucketValue(header: Buffer): Generator<BboltEntry> {
    if (header.length < BUCKET_HEADER_BYTES) throw new Error('bbolt: bucket header too short');
    const root = u64(header, 0);
    const page = root === 0 ? header.subarray(BUCKET_HEADER_BYTES) : this.pageAt(root);
    for (const e of this.walkTree(page, root === 0 ? undefined : root)) {
      if (!e.isBucket) yield { key: e.key, value: e.value };
    }
  }

  /** The bytes of page `pgid` and its overflow pages. */
  private pageAt(pgid: number): Buffer {
    const size = this.meta.pageSize;
    if (pgid < 2 || pgid >= this.meta.pgid) throw new Error(`bbolt: page ${pgid} out of range (high water mark ${this.meta.pgid})`);
    const start = pgid * size;
    const first = this.source.read(start, size);
    if (first.length < PAGE_HEADER_BYTES) throw new Error(`bbolt: page ${pgid} past the end of the file`);
    const overflow = first.readUInt32LE(12);
    return overflow === 0 ? first : this.source.read(start, (overflow + 1) * size);
  }

  /**
   * Depth-first walk of a B+tree from `page`, yielding leaf elements in key order.
   * `pgid`: where the page was read from, which its header must repeat (a check against
   * reading garbage); undefined for an inline page.
   */
  private *walkTree(page: Buffer, pgid: number | undefined, depth = 0): Generator<{ key: Buffer; value: Buffer; isBucket: boolean }> {
    if (depth > MAX_TREE_DEPTH) throw new Error(`bbolt: tree deeper than ${MAX_TREE_DEPTH} levels at page ${pgid}: the file is damaged`);
    const flags = page.readUInt16LE(8);
    const count = page.readUInt16LE(10);
    if (pgid !== undefined && u64(page, 0) !== pgid) throw new Error(`bbolt: page ${pgid} has id ${u64(page, 0)}`);
    if (flags & FLAG_BRANCH) {
      for (let i = 0; i < count; i++) {
        const child = u64(page, PAGE_HEADER_BYTES + i * ELEMENT_BYTES + 8);
        yield* this.walkTree(this.pageAt(child), child, depth + 1);
      }
      return;
    }
    if (!(flags & FLAG_LEAF)) throw new Error(`bbolt: unexpected page flags 0x${flags.toString(16)} in a tree`);
    for (let i = 0; i < count; i++) {
      const at = PAGE_HEADER_BYTES + i * ELEMENT_BYTES;
      const elemFlags = page.readUInt32LE(at);
      const keyStart = at + page.readUInt32LE(at + 4);
      const keyEnd = keyStart + page.readUInt32LE(at + 8);
      const valueEnd = keyEnd + page.readUInt32LE(at + 12);
      if (valueEnd > page.length) throw new Error('bbolt: leaf element runs past its page');
      yield { key: page.subarray(keyStart, keyEnd), value: page.subarray(keyEnd, valueEnd), isBucket: (elemFlags & LEAF_FLAG_BUCKET) !== 0 };
    }
  }
}
