// Wire encoding of raft messages between etcd-ts members. Mixing with real etcd peers is
// not a goal, so this is our own compact binary form rather than raftpb: fixed-width
// fields (uint64 as 8 bytes, so member ids above 2^53 survive), byte strings prefixed by
// their length. A stream carries many messages, each framed by a 4-byte length so a reader
// can cut messages out of arbitrary TCP chunks (see FrameReader).

import type { Entry, Message, Snapshot } from '../raft/types.js';

class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;

  u8(v: number): void {
    this.push(Uint8Array.of(v));
  }
  u64(v: bigint | number): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v));
    this.push(b);
  }
  bytes(v: Uint8Array): void {
    this.u64(v.length);
    this.push(v);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
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
    const v = this.big();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('transport: number field out of range');
    return Number(v);
  }
  bytes(): Uint8Array {
    const n = this.num();
    this.need(n);
    const v = this.buf.slice(this.off, this.off + n);
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

export function encodeMessage(m: Message): Uint8Array {
  const w = new Writer();
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
  return w.finish();
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

/** One message as it goes on a stream: a 4-byte big-endian length, then the message. */
export function frameMessage(m: Message): Uint8Array {
  const body = encodeMessage(m);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

/** Cuts framed messages out of a byte stream that arrives in arbitrary chunks. */
export class FrameReader {
  private pending = new Uint8Array(0);

  /** Adds a chunk and returns every message it completes, in order. */
  push(chunk: Uint8Array): Message[] {
    const joined = new Uint8Array(this.pending.length + chunk.length);
    joined.set(this.pending);
    joined.set(chunk, this.pending.length);
    const out: Message[] = [];
    let off = 0;
    while (joined.length - off >= 4) {
      const len = new DataView(joined.buffer, joined.byteOffset + off).getUint32(0);
      if (joined.length - off - 4 < len) break;
      out.push(decodeMessage(joined.subarray(off + 4, off + 4 + len)));
      off += 4 + len;
    }
    this.pending = joined.slice(off);
    return out;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get buffered(): number {
    return this.pending.length;
  }
}
