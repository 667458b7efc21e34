// Reads that merge the write buffer with the LMDB file, and consistent read views.
//
// A live read (Backend.get/range) consults the current layers and LMDB's latest
// committed state; it is synchronous, so nothing changes underneath it.
//
// A ReadView is a frozen picture for work that spans event-loop turns (hash, snapshot
// bookkeeping): an LMDB read transaction pinned at the moment the view was taken, plus
// copies of the layers not yet in that transaction. Invariant: every layer newer than
// the pinned transaction is in the view's list. Layers already committed by then may
// also be in the list; overlaying them again is harmless, since a layer only ever holds
// the newest value of its keys as of its own time and everything newer is above it.

import type { Database, Transaction } from 'lmdb';
import type { Bucket, Entry, ReadTx } from './buckets.js';
import { keyBytes, keyString, overlaySources, type BufferedValue, type WriteLayer } from './write-layer.js';

export type Tables = ReadonlyMap<Bucket, Database<Buffer, Buffer>>;

/** Value of `key`: from the newest layer that holds it, else from the file. */
export function readGet(tables: Tables, layers: readonly WriteLayer[], bucket: Bucket, key: Buffer, txn?: Transaction): Buffer | undefined {
  const k = keyString(key);
  for (const layer of layers) {
    const v = layer.get(bucket, k);
    if (v !== undefined) return v ?? undefined;
  }
  const db = tables.get(bucket)!;
  // With binary encoding get() returns a copy of the bytes (getBinary), safe to keep.
  return (txn ? db.get(key, { transaction: txn }) : db.get(key)) ?? undefined;
}

function* fileEntries(db: Database<Buffer, Buffer>, start: Buffer, end: Buffer | undefined, txn?: Transaction): Generator<Entry> {
  // An empty start key means "from the first key"; LMDB refuses zero-length keys.
  const opts = { start: start.length > 0 ? start : undefined, end, transaction: txn };
  // With binary encodings lmdb-js hands out copies of the key and value bytes.
  for (const { key, value } of db.getRange(opts)) yield { key, value };
}

/**
 * Lazily merged entries of [start, end) in key order (layers newest first). The file's
 * keys stay Buffers: only the (few) buffered writes are converted, and a bucket with no
 * buffered write is read straight from the file.
 */
export function* readIterate(
  tables: Tables,
  layers: readonly WriteLayer[],
  bucket: Bucket,
  start: Buffer,
  end: Buffer | undefined,
  txn?: Transaction,
): Generator<Entry> {
  if (end !== undefined && Buffer.compare(start, end) >= 0) return;
  const file = fileEntries(tables.get(bucket)!, start, end, txn);
  const holding = layers.filter((l) => l.holds(bucket));
  if (holding.length === 0) {
    yield* file;
    return;
  }
  const s = keyString(start);
  const e = end === undefined ? undefined : keyString(end);
  const overlay = overlaySources(holding.map((l) => l.entries(bucket, s, e)));
  let o = overlay.next();
  let oKey = o.done ? undefined : keyBytes(o.value[0]);
  let f = file.next();
  while (!o.done || !f.done) {
    const order = o.done ? 1 : f.done ? -1 : Buffer.compare(oKey!, f.value.key);
    if (order > 0) {
      yield f.value as Entry;
      f = file.next();
      continue;
    }
    // The buffered write is newer than the file: it replaces (or deletes) an equal key.
    const value = (o as IteratorYieldResult<[string, BufferedValue]>).value[1];
    if (value !== null) yield { key: oKey!, value };
    if (order === 0) f = file.next();
    o = overlay.next();
    oKey = o.done ? undefined : keyBytes(o.value[0]);
  }
}

export function readRange(
  tables: Tables,
  layers: readonly WriteLayer[],
  bucket: Bucket,
  start: Buffer,
  end: Buffer | undefined,
  limit: number,
  txn?: Transaction,
): Entry[] {
  const out: Entry[] = [];
  for (const entry of readIterate(tables, layers, bucket, start, end, txn)) {
    out.push(entry);
    if (limit > 0 && out.length >= limit) break;
  }
  return out;
}

/**
 * A consistent picture of the whole backend as of its creation. Holding one keeps the
 * LMDB pages it reads from being reused, so release it with done() promptly.
 */
export class ReadView implements ReadTx {
  private released = false;

  constructor(
    private readonly tables: Tables,
    private readonly layers: readonly WriteLayer[],
    private readonly txn: Transaction,
    private readonly onDone: () => void,
  ) {}

  get(bucket: Bucket, key: Buffer): Buffer | undefined {
    this.check();
    return readGet(this.tables, this.layers, bucket, key, this.txn);
  }

  range(bucket: Bucket, start: Buffer, end?: Buffer, limit = 0): Entry[] {
    this.check();
    return readRange(this.tables, this.layers, bucket, start, end, limit, this.txn);
  }

  /** Entries of [start, end) one at a time; may be consumed across awaits. */
  iterate(bucket: Bucket, start: Buffer = Buffer.alloc(0), end?: Buffer): Generator<Entry> {
    this.check();
    return readIterate(this.tables, this.layers, bucket, start, end, this.txn);
  }

  done(): void {
    if (this.released) return;
    this.released = true;
    this.txn.done();
    this.onDone();
  }

  private check(): void {
    if (this.released) throw new Error('backend: read view used after done()');
  }
}
