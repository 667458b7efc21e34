// Writes a bbolt database file from sorted pairs: what the Snapshot rpc must send, since
// etcd's clients (`etcdctl snapshot status/restore`, etcdutl) open the blob with bbolt.
// The layout is described in bbolt-reader.ts; this writer builds the most compact file
// bbolt accepts, bottom-up, in one pass:
//
//   page 0, 1   meta pages (written last, once the root and the page count are known)
//   page 2      the freelist: empty, as nothing in a fresh file is free
//   page 3...   each bucket's leaf pages in key order, then its branch levels, and at the
//               very end the root bucket's tree (one element per bucket)
//
// Every page from 0 up to the high-water mark is used exactly once, which is what bbolt's
// consistency check (Tx.Check) requires of a file: no unreachable, unfreed pages.
//
// Memory stays bounded whatever the size of the data: pages go to the file as they fill,
// and only the first key of each page (what the branch level above needs) is kept until
// the bucket is finished. A pair bigger than a page gets a page with overflow pages, as
// bbolt stores it.
//
// Small buckets are stored inline in their bucket entry (root page 0), as bbolt itself
// stores them, so a file of an idle member looks like one bbolt wrote.

import { open, type FileHandle } from 'node:fs/promises';
import {
  BBOLT_MAGIC,
  BBOLT_VERSION,
  BUCKET_HEADER_BYTES,
  ELEMENT_BYTES,
  FLAG_BRANCH,
  FLAG_LEAF,
  FLAG_META,
  fnv1a64,
  LEAF_FLAG_BUCKET,
  META_CHECKSUMMED_BYTES,
  PAGE_HEADER_BYTES,
} from './bbolt-reader.js';

export const BBOLT_PAGE_SIZE = 4096;

const FLAG_FREELIST = 0x10;

/** A page's element count is a u16; bbolt refuses to write a node with this many or more. */
const MAX_PAGE_ELEMENTS = 0xffff;
/** Pages 0 and 1 are metas, page 2 the freelist; trees start after them. */
const FREELIST_PGID = 2;
const FIRST_TREE_PGID = 3;
/**
 * Pages are gathered into writes of about this many bytes. Building them runs on the
 * event loop with no yield in between (a few µs a pair): 64 KiB, some 500 etcd pairs,
 * keeps each stretch to a few milliseconds.
 */
const WRITE_CHUNK_BYTES = 64 * 1024;

export interface BboltPair {
  key: Buffer;
  value: Buffer;
}

/** One top-level bucket: its name and its pairs in strictly increasing key order. */
export interface BboltBucketSource {
  name: Buffer;
  /** Called once, when the writer reaches this bucket. */
  entries: () => Iterable<BboltPair>;
}

/** Allocates page ids in file order and writes the pages out in large sequential writes. */
class PageSink {
  private next = FIRST_TREE_PGID;
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** File offset where the held bytes go. */
  private heldAt: number;

  constructor(
    private readonly file: FileHandle,
    readonly pageSize: number,
  ) {
    this.heldAt = FIRST_TREE_PGID * pageSize;
  }

  /** The pages in use so far: the high-water mark a meta page records. */
  get highWater(): number {
    return this.next;
  }

  /** Reserves `pages` consecutive page ids and returns the first. */
  allocate(pages: number): number {
    const id = this.next;
    this.next += pages;
    return id;
  }

  /**
   * Queues a page run that allocate() reserved; runs must be queued in allocation order.
   * Synchronous, so building a page costs no promise per pair: the caller flushes when full.
   */
  put(run: Buffer): void {
    this.held.push(run);
    this.heldBytes += run.length;
  }

  /** Enough is queued for one large write. */
  get full(): boolean {
    return this.heldBytes >= WRITE_CHUNK_BYTES;
  }

  async flush(): Promise<void> {
    if (this.heldBytes === 0) return;
    const all = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
    await writeAll(this.file, all, this.heldAt);
    this.heldAt += all.length;
    this.held = [];
    this.heldBytes = 0;
  }
}

async function writeAll(file: FileHandle, b: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < b.length) {
    const { bytesWritten } = await file.write(b, done, b.length - done, position + done);
    done += bytesWritten;
  }
}

/** A page run's header: id, flags, count, overflow (the pages after the first). */
function writeHeader(run: Buffer, pgid: number, flags: number, count: number, pageSize: number): void {
  run.writeBigUInt64LE(BigInt(pgid), 0);
  run.writeUInt16LE(flags, 8);
  run.writeUInt16LE(count, 10);
  run.writeUInt32LE(run.length / pageSize - 1, 12);
}

/**
 * Whole pages for `bytes` of node. Only the slack after the node is zeroed: the node's
 * own bytes are all written (header, elements, keys and values), and the slack is never
 * read but should not carry stale memory into a file that leaves the machine.
 */
function allocRun(bytes: number, pageSize: number): Buffer {
  const run = Buffer.allocUnsafeSlow(Math.ceil(bytes / pageSize) * pageSize);
  run.fill(0, bytes);
  return run;
}

/**
 * The pairs of one page being filled: element sizes and flags, with the keys and values
 * copied into one growing data area (the caller's buffers may be reused by its source).
 */
class LeafPage {
  flags: number[] = [];
  ksizes: number[] = [];
  vsizes: number[] = [];
  data = Buffer.allocUnsafe(BBOLT_PAGE_SIZE);
  dataBytes = 0;

  get count(): number {
    return this.flags.length;
  }

  /** Bytes of the page as bbolt sizes a node: header, elements, keys and values. */
  get bytes(): number {
    return PAGE_HEADER_BYTES + this.count * ELEMENT_BYTES + this.dataBytes;
  }

  add(key: Buffer, value: Buffer, flags: number): void {
    const need = this.dataBytes + key.length + value.length;
    if (need > this.data.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.data.length * 2));
      this.data.copy(bigger, 0, 0, this.dataBytes);
      this.data = bigger;
    }
    key.copy(this.data, this.dataBytes);
    value.copy(this.data, this.dataBytes + key.length);
    this.dataBytes = need;
    this.flags.push(flags);
    this.ksizes.push(key.length);
    this.vsizes.push(value.length);
  }

  firstKey(): Buffer {
    return Buffer.from(this.data.subarray(0, this.ksizes[0]));
  }

  /** Where the last key added lies in the page's data. */
  private lastKeyStart(): number {
    const n = this.count - 1;
    return this.dataBytes - this.ksizes[n]! - this.vsizes[n]!;
  }

  /** The last key added, copied. */
  lastKey(): Buffer {
    const start = this.lastKeyStart();
    return Buffer.from(this.data.subarray(start, start + this.ksizes[this.count - 1]!));
  }

  /** Whether `key` sorts after the last key added (compared in place: no view per pair). */
  follows(key: Buffer): boolean {
    const start = this.lastKeyStart();
    return key.compare(this.data, start, start + this.ksizes[this.count - 1]!) > 0;
  }

  /** Lays the page out in `out` from byte `at` (a run, or an inline bucket's value). */
  encodeInto(out: Buffer, at: number): void {
    out.writeUInt16LE(FLAG_LEAF, at + 8);
    out.writeUInt16LE(this.count, at + 10);
    const dataStart = at + PAGE_HEADER_BYTES + this.count * ELEMENT_BYTES;
    let off = 0;
    for (let i = 0; i < this.count; i++) {
      const e = at + PAGE_HEADER_BYTES + i * ELEMENT_BYTES;
      out.writeUInt32LE(this.flags[i]!, e);
      // The key's position is counted from the element itself.
      out.writeUInt32LE(dataStart + off - e, e + 4);
      out.writeUInt32LE(this.ksizes[i]!, e + 8);
      out.writeUInt32LE(this.vsizes[i]!, e + 12);
      off += this.ksizes[i]! + this.vsizes[i]!;
    }
    this.data.copy(out, dataStart, 0, this.dataBytes);
  }

  clear(): void {
    this.flags = [];
    this.ksizes = [];
    this.vsizes = [];
    this.dataBytes = 0;
  }
}

/** A child of a branch page: the smallest key under it and where it starts. */
interface ChildRef {
  key: Buffer;
  pgid: number;
}

/**
 * One B+tree (a bucket's, or the root bucket's) built from its pairs in key order: leaf
 * pages as they fill, then branch levels over their first keys.
 */
class TreeBuilder {
  private readonly leaf = new LeafPage();
  private readonly children: ChildRef[] = [];
  /** The last key of the pages already written, for the order check across a page break. */
  private lastFlushedKey: Buffer | undefined;

  constructor(
    private readonly sink: PageSink,
    private readonly what: string,
  ) {}

  add(key: Buffer, value: Buffer, flags = 0): void {
    if (key.length === 0) throw new Error(`bbolt writer: empty key in ${this.what}`);
    const inOrder = this.leaf.count > 0 ? this.leaf.follows(key) : this.lastFlushedKey === undefined || Buffer.compare(this.lastFlushedKey, key) < 0;
    if (!inOrder) throw new Error(`bbolt writer: keys out of order in ${this.what}`);
    const grown = this.leaf.bytes + ELEMENT_BYTES + key.length + value.length;
    if (this.leaf.count > 0 && (grown > this.sink.pageSize || this.leaf.count >= MAX_PAGE_ELEMENTS - 1)) this.flushLeaf();
    this.leaf.add(key, value, flags);
  }

  private flushLeaf(): void {
    const run = allocRun(this.leaf.bytes, this.sink.pageSize);
    const pgid = this.sink.allocate(run.length / this.sink.pageSize);
    this.leaf.encodeInto(run, 0);
    writeHeader(run, pgid, FLAG_LEAF, this.leaf.count, this.sink.pageSize);
    if (this.leaf.count > 0) {
      this.children.push({ key: this.leaf.firstKey(), pgid });
      this.lastFlushedKey = this.leaf.lastKey();
    } else this.children.push({ key: Buffer.alloc(0), pgid });
    this.leaf.clear();
    this.sink.put(run);
  }

  /** Writes what is left and the branch levels; returns the root page id. */
  finish(): number {
    // An empty tree is one empty leaf page, as bbolt keeps an emptied root.
    if (this.leaf.count > 0 || this.children.length === 0) this.flushLeaf();
    let level = this.children;
    while (level.length > 1) level = this.branchLevel(level);
    return level[0]!.pgid;
  }

  private branchLevel(children: ChildRef[]): ChildRef[] {
    const up: ChildRef[] = [];
    let start = 0;
    while (start < children.length) {
      let end = start;
      let bytes = PAGE_HEADER_BYTES;
      while (end < children.length) {
        const grown = bytes + ELEMENT_BYTES + children[end]!.key.length;
        // At least two children a page (a branch of one child is a wasted level).
        if (end - start >= 2 && (grown > this.sink.pageSize || end - start >= MAX_PAGE_ELEMENTS - 1)) break;
        bytes = grown;
        end++;
      }
      // Never leave a single child for a page of its own at the end of the level.
      if (children.length - end === 1 && end - start > 2) end--;
      const page = children.slice(start, end);
      up.push({ key: page[0]!.key, pgid: this.writeBranch(page) });
      start = end;
    }
    return up;
  }

  private writeBranch(page: ChildRef[]): number {
    let bytes = PAGE_HEADER_BYTES + page.length * ELEMENT_BYTES;
    for (const c of page) bytes += c.key.length;
    const run = allocRun(bytes, this.sink.pageSize);
    const pgid = this.sink.allocate(run.length / this.sink.pageSize);
    writeHeader(run, pgid, FLAG_BRANCH, page.length, this.sink.pageSize);
    let data = PAGE_HEADER_BYTES + page.length * ELEMENT_BYTES;
    page.forEach((c, i) => {
      const e = PAGE_HEADER_BYTES + i * ELEMENT_BYTES;
      run.writeUInt32LE(data - e, e);
      run.writeUInt32LE(c.key.length, e + 4);
      run.writeBigUInt64LE(BigInt(c.pgid), e + 8);
      c.key.copy(run, data);
      data += c.key.length;
    });
    this.sink.put(run);
    return pgid;
  }
}

/** A bucket entry's value: the bucket header {root pgid, sequence}, then an inline page if root is 0. */
function bucketHeader(rootPgid: number, inlinePageBytes = 0): Buffer {
  const v = Buffer.alloc(BUCKET_HEADER_BYTES + inlinePageBytes);
  v.writeBigUInt64LE(BigInt(rootPgid), 0);
  // The bucket's sequence (NextSequence) stays 0: etcd never uses it.
  return v;
}

/**
 * Writes one bucket's pairs: inline in its entry when the whole bucket fits a quarter
 * page (bbolt's own rule for inlining), else as a tree of pages. Returns the entry's value.
 */
async function writeBucket(sink: PageSink, source: BboltBucketSource): Promise<Buffer> {
  const what = `bucket ${source.name.toString('latin1')}`;
  const small = new LeafPage();
  let tree: TreeBuilder | undefined;
  let lastKey: Buffer | undefined;
  for (const { key, value } of source.entries()) {
    if (tree) {
      tree.add(key, value);
      if (sink.full) await sink.flush();
      continue;
    }
    if (key.length === 0) throw new Error(`bbolt writer: empty key in ${what}`);
    if (lastKey !== undefined && Buffer.compare(lastKey, key) >= 0) throw new Error(`bbolt writer: keys out of order in ${what}`);
    lastKey = Buffer.from(key);
    small.add(key, value, 0);
    if (small.bytes > sink.pageSize / 4) {
      // Too big to inline: replay what was held into a tree and go on there.
      tree = new TreeBuilder(sink, what);
      let off = 0;
      for (let i = 0; i < small.count; i++) {
        const k = small.data.subarray(off, off + small.ksizes[i]!);
        const v = small.data.subarray(off + small.ksizes[i]!, off + small.ksizes[i]! + small.vsizes[i]!);
        tree.add(k, v);
        off += small.ksizes[i]! + small.vsizes[i]!;
      }
    }
  }
  if (tree) {
    const root = tree.finish();
    if (sink.full) await sink.flush();
    return bucketHeader(root);
  }
  const value = bucketHeader(0, small.bytes);
  small.encodeInto(value, BUCKET_HEADER_BYTES);
  return value;
}

function metaPage(pageSize: number, pgid: number, rootPgid: number, highWater: number, txid: number): Buffer {
  const p = Buffer.alloc(pageSize);
  p.writeBigUInt64LE(BigInt(pgid), 0);
  p.writeUInt16LE(FLAG_META, 8);
  const m = PAGE_HEADER_BYTES;
  p.writeUInt32LE(BBOLT_MAGIC, m);
  p.writeUInt32LE(BBOLT_VERSION, m + 4);
  p.writeUInt32LE(pageSize, m + 8);
  // m + 12: flags, none.
  p.writeBigUInt64LE(BigInt(rootPgid), m + 16);
  // m + 24: the root bucket's sequence, 0.
  p.writeBigUInt64LE(BigInt(FREELIST_PGID), m + 32);
  p.writeBigUInt64LE(BigInt(highWater), m + 40);
  p.writeBigUInt64LE(BigInt(txid), m + 48);
  p.writeBigUInt64LE(fnv1a64(p.subarray(m, m + META_CHECKSUMMED_BYTES)), m + META_CHECKSUMMED_BYTES);
  return p;
}

function freelistPage(pageSize: number): Buffer {
  const p = Buffer.alloc(pageSize);
  p.writeBigUInt64LE(BigInt(FREELIST_PGID), 0);
  p.writeUInt16LE(FLAG_FREELIST, 8);
  return p;
}

/**
 * Writes a bbolt file at `path` (created or truncated) holding `buckets`, which must come
 * in strictly increasing name order, each with its pairs in strictly increasing key
 * order. Returns the file's size in bytes (its pages in use: bbolt's Tx.Size). The file
 * is not fsynced: callers that keep it must do that.
 */
export async function writeBboltFile(path: string, buckets: Iterable<BboltBucketSource>, pageSize = BBOLT_PAGE_SIZE): Promise<number> {
  const file = await open(path, 'w');
  try {
    const sink = new PageSink(file, pageSize);
    const root = new TreeBuilder(sink, 'the root bucket');
    for (const b of buckets) {
      const value = await writeBucket(sink, b);
      root.add(b.name, value, LEAF_FLAG_BUCKET);
    }
    const rootPgid = root.finish();
    await sink.flush();
    const highWater = sink.highWater;
    await writeAll(file, freelistPage(pageSize), FREELIST_PGID * pageSize);
    // Two identical metas but for the txid, as a freshly created bbolt file has them.
    await writeAll(file, Buffer.concat([metaPage(pageSize, 0, rootPgid, highWater, 0), metaPage(pageSize, 1, rootPgid, highWater, 1)]), 0);
    return highWater * pageSize;
  } finally {
    await file.close();
  }
}
