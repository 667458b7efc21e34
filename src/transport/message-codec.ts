// Wire encoding of raft messages between etcd-ts members. Mixing with real etcd peers is
// not a goal, so this is our own compact binary form rather than raftpb: fixed-width
// fields (uint64 as 8 bytes, so member ids above 2^53 survive), byte strings prefixed by
// their length. A stream carries many messages, each framed by a 4-byte length so a reader
// can cut messages out of arbitrary TCP chunks (see FrameReader).

import type { Entry, Message, Snapshot } from '../raft/types.js';

const TWO_32 = 2 ** 32;
/** Largest high word of a u64 that still fits a safe integer (2^53 - 1). */
const MAX_SAFE_HIGH = 0x1fffff;

/** Bytes `encodeMessage` produces for `m` (computed first so one buffer is written once). */
function encodedSize(m: Message): number {
  // type, to, from, term, logTerm, index, commit, reject, rejectHint, context length, entry count, snapshot flag
  let n = 1 + 6 * 8 + 1 + 8 + 8 + m.context.length + 8 + 1;
  for (const e of m.entries) n += 8 + 8 + 1 + 8 + e.data.length;
  const s = m.snapshot;
  if (s) n += 8 + s.data.length + 8 + 8 + 8 + 8 * s.metadata.confState.voters.length + 8 + 8 * s.metadata.confState.learners.length;
  return n;
}

/**
 * Writes fields big-endian into one pre-sized buffer. Raft messages go out several times per
 * request on every member, so no field allocates: numbers below 2^53 are split into two
 * 32-bit words instead of going through BigInt, giving the same bytes as an 8-byte write.
 */
class Writer {
  private off: number;
  private readonly view: DataView;
  constructor(
    readonly buf: Uint8Array,
    offset: number,
  ) {
    this.off = offset;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  u8(v: number): void {
    this.view.setUint8(this.off++, v);
  }
  u64(v: bigint | number): void {
    if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
      this.view.setUint32(this.off, Math.floor(v / TWO_32));
      this.view.setUint32(this.off + 4, v % TWO_32);
    } else {
      this.view.setBigUint64(this.off, BigInt.asUintN(64, BigInt(v)));
    }
    this.off += 8;
  }
  bytes(v: Uint8Array): void {
    this.u64(v.length);
    this.buf.set(v, this.off);
    this.off += v.length;
  }
  get offset(): number {
    return this.off;
  }
}

class Reader {
  private off = 0;
  private readonly view: DataView;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.off++]!;
  }
  big(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.off);
    this.off += 8;
    return v;
  }
  num(): number {
    this.need(8);
    const high = this.view.getUint32(this.off);
    if (high > MAX_SAFE_HIGH) throw new Error('transport: number field out of range');
    const v = high * TWO_32 + this.view.getUint32(this.off + 4);
    this.off += 8;
    return v;
  }
  /** A copy (a plain Uint8Array even when reading a Buffer): the received chunk is not kept alive. */
  bytes(): Uint8Array {
    const n = this.num();
    this.need(n);
    const v = new Uint8Array(n);
    v.set(this.buf.subarray(this.off, this.off + n));
    this.off += n;
    return v;
  }
  done(): void {
    if (this.off !== this.buf.length) throw new Error('transport: trailing bytes in message');
  }
  private need(n: number): void {
    if (this.off + n > this.buf.length) throw new Error('transport: truncated message');
  }
}

function writeEntry(w: Writer, e: Entry): void {
  w.u64(e.term);
  w.u64(e.index);
  w.u8(e.type);
  w.bytes(e.data);
}

function readEntry(r: Reader): Entry {
  return { term: r.num(), index: r.num(), type: r.u8(), data: r.bytes() };
}

function writeSnapshot(w: Writer, s: Snapshot): void {
  w.bytes(s.data);
  w.u64(s.metadata.index);
  w.u64(s.metadata.term);
  w.u64(s.metadata.confState.voters.length);
  for (const id of s.metadata.confState.voters) w.u64(id);
  w.u64(s.metadata.confState.learners.length);
  for (const id of s.metadata.confState.learners) w.u64(id);
}

function readSnapshot(r: Reader): Snapshot {
  const data = r.bytes();
  const index = r.num();
  const term = r.num();
  const voters: bigint[] = [];
  for (let n = r.num(); n > 0; n--) voters.push(r.big());
  const learners: bigint[] = [];
  for (let n = r.num(); n > 0; n--) learners.push(r.big());
  return { data, metadata: { index, term, confState: { voters, learners } } };
}

function writeMessage(w: Writer, m: Message): void {
  w.u8(m.type);
  w.u64(m.to);
  w.u64(m.from);
  w.u64(m.term);
  w.u64(m.logTerm);
  w.u64(m.index);
  w.u64(m.commit);
  w.u8(m.reject ? 1 : 0);
  w.u64(m.rejectHint);
  w.bytes(m.context);
  w.u64(m.entries.length);
  for (const e of m.entries) writeEntry(w, e);
  w.u8(m.snapshot ? 1 : 0);
  if (m.snapshot) writeSnapshot(w, m.snapshot);
}

export function encodeMessage(m: Message): Uint8Array {
  const out = new Uint8Array(encodedSize(m));
  writeMessage(new Writer(out, 0), m);
  return out;
}

export function decodeMessage(buf: Uint8Array): Message {
  const r = new Reader(buf);
  const type = r.u8();
  const to = r.big();
  const from = r.big();
  const term = r.num();
  const logTerm = r.num();
  const index = r.num();
  const commit = r.num();
  const reject = r.u8() === 1;
  const rejectHint = r.num();
  const context = r.bytes();
  const entries: Entry[] = [];
  for (let n = r.num(); n > 0; n--) entries.push(readEntry(r));
  const snapshot = r.u8() === 1 ? readSnapshot(r) : undefined;
  r.done();
  const m: Message = { type, to, from, term, logTerm, index, entries, commit, reject, rejectHint, context };
  if (snapshot) m.snapshot = snapshot;
  return m;
}

/** One message as it goes on a stream: a 4-byte big-endian length, then the message, in one buffer. */
export function frameMessage(m: Message): Uint8Array {
  const body = encodedSize(m);
  const out = new Uint8Array(4 + body);
  const w = new Writer(out, 4);
  new DataView(out.buffer).setUint32(0, body);
  writeMessage(w, m);
  return out;
}

const EMPTY = new Uint8Array(0);

/** Cuts framed messages out of a byte stream that arrives in arbitrary chunks. */
export class FrameReader {
  private pending = EMPTY;

  /** Adds a chunk and returns every message it completes, in order. */
  push(chunk: Uint8Array): Message[] {
    // Usually a chunk holds whole messages and nothing is left over: read it in place
    // instead of first copying it behind an empty remainder.
    let joined = chunk;
    if (this.pending.length > 0) {
      joined = new Uint8Array(this.pending.length + chunk.length);
      joined.set(this.pending);
      joined.set(chunk, this.pending.length);
    }
    const view = new DataView(joined.buffer, joined.byteOffset, joined.byteLength);
    const out: Message[] = [];
    let off = 0;
    while (joined.length - off >= 4) {
      const len = view.getUint32(off);
      if (joined.length - off - 4 < len) break;
      out.push(decodeMessage(joined.subarray(off + 4, off + 4 + len)));
      off += 4 + len;
    }
    // The remainder is copied: the chunk's memory is not kept (or assumed unchanged) after this call.
    if (off === joined.length) {
      this.pending = EMPTY;
    } else {
      this.pending = new Uint8Array(joined.length - off);
      this.pending.set(joined.subarray(off));
    }
    return out;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get buffered(): number {
    return this.pending.length;
  }
}

