// Decoders for the few protobuf messages of etcd's own raft files (WAL records and snap
// files) that etcd-ts never writes, so they have no generated code: walpb.Record,
// walpb.Snapshot, raftpb.Entry/HardState/ConfChange/Snapshot and snappb.Snapshot. Only
// what a migration needs is decoded; unknown fields are skipped as protobuf allows.

import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';

export interface EtcdRecord {
  type: number;
  crc: number;
  data: Uint8Array;
}

export interface EtcdEntry {
  term: number;
  index: number;
  /** raftpb.EntryType: 0 normal, 1 conf change, 2 conf change v2. */
  type: number;
  data: Uint8Array;
}

export interface EtcdHardState {
  term: number;
  vote: bigint;
  commit: number;
}

export interface EtcdConfChange {
  id: bigint;
  type: number;
  nodeId: bigint;
  context: Uint8Array;
}

export interface EtcdConfState {
  voters: bigint[];
  learners: bigint[];
}

export interface EtcdSnapshotMark {
  index: number;
  term: number;
}

export interface EtcdRaftSnapshot {
  /** etcd's v2 store as JSON (it holds the membership etcd 3.4 trusts). */
  data: Uint8Array;
  index: number;
  term: number;
  confState: EtcdConfState;
}

/** Calls `field` for each field of the message in `buf`; `field` must consume or skip it. */
function eachField(buf: Uint8Array, field: (no: number, wt: WireType, r: BinaryReader) => boolean): void {
  const r = new BinaryReader(buf);
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (!field(no, wt, r)) r.skip(wt, no);
  }
}

function u64(r: BinaryReader): bigint {
  return BigInt(r.uint64());
}

/** A raft index or term: below 2^53 in any real log. */
function num(r: BinaryReader): number {
  const v = u64(r);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`etcd data: index or term ${v} out of range`);
  return Number(v);
}

export function decodeRecord(buf: Uint8Array): EtcdRecord {
  const rec: EtcdRecord = { type: 0, crc: 0, data: new Uint8Array() };
  eachField(buf, (no, wt, r) => {
    if (no === 1 && wt === WireType.Varint) rec.type = Number(BigInt.asIntN(64, BigInt(r.int64())));
    else if (no === 2 && wt === WireType.Varint) rec.crc = r.uint32();
    else if (no === 3 && wt === WireType.LengthDelimited) rec.data = r.bytes();
    else return false;
    return true;
  });
  return rec;
}

export function decodeSnapshotMark(buf: Uint8Array): EtcdSnapshotMark {
  const s: EtcdSnapshotMark = { index: 0, term: 0 };
  eachField(buf, (no, wt, r) => {
    if (no === 1 && wt === WireType.Varint) s.index = num(r);
    else if (no === 2 && wt === WireType.Varint) s.term = num(r);
    else return false;
    return true;
  });
  return s;
}

export function decodeEntry(buf: Uint8Array): EtcdEntry {
  const e: EtcdEntry = { term: 0, index: 0, type: 0, data: new Uint8Array() };
  eachField(buf, (no, wt, r) => {
    if (no === 1 && wt === WireType.Varint) e.type = r.int32();
    else if (no === 2 && wt === WireType.Varint) e.term = num(r);
    else if (no === 3 && wt === WireType.Varint) e.index = num(r);
    else if (no === 4 && wt === WireType.LengthDelimited) e.data = r.bytes();
    else return false;
    return true;
  });
  return e;
}

export function decodeHardState(buf: Uint8Array): EtcdHardState {
  const s: EtcdHardState = { term: 0, vote: 0n, commit: 0 };
  eachField(buf, (no, wt, r) => {
    if (no === 1 && wt === WireType.Varint) s.term = num(r);
    else if (no === 2 && wt === WireType.Varint) s.vote = u64(r);
    else if (no === 3 && wt === WireType.Varint) s.commit = num(r);
    else return false;
    return true;
  });
  return s;
}

export function decodeConfChange(buf: Uint8Array): EtcdConfChange {
  const cc: EtcdConfChange = { id: 0n, type: 0, nodeId: 0n, context: new Uint8Array() };
  eachField(buf, (no, wt, r) => {
    if (no === 1 && wt === WireType.Varint) cc.id = u64(r);
    else if (no === 2 && wt === WireType.Varint) cc.type = r.int32();
    else if (no === 3 && wt === WireType.Varint) cc.nodeId = u64(r);
    else if (no === 4 && wt === WireType.LengthDelimited) cc.context = r.bytes();
    else return false;
    return true;
  });
  return cc;
}

/** A repeated uint64, packed or not (proto2 writes it unpacked; either is valid on the wire). */
function pushIds(out: bigint[], wt: WireType, r: BinaryReader): void {
  if (wt === WireType.Varint) {
    out.push(u64(r));
    return;
  }
  const packed = new BinaryReader(r.bytes());
  while (packed.pos < packed.len) out.push(BigInt(packed.uint64()));
}

function decodeConfState(buf: Uint8Array): EtcdConfState {
  const cs: EtcdConfState = { voters: [], learners: [] };
  eachField(buf, (no, wt, r) => {
    if (no === 1) pushIds(cs.voters, wt, r);
    else if (no === 2) pushIds(cs.learners, wt, r);
    else if (no === 3 || no === 4) {
      // A joint configuration (voters_outgoing, learners_next): etcd 3.4/3.5 never leave one
      // in a snapshot, as they only use simple conf changes.
      const ids: bigint[] = [];
      pushIds(ids, wt, r);
      if (ids.length > 0) throw new Error('etcd data: snapshot holds a joint configuration, which etcd-ts cannot take over');
    } else return false;
    return true;
  });
  return cs;
}

export function decodeRaftSnapshot(buf: Uint8Array): EtcdRaftSnapshot {
  const s: EtcdRaftSnapshot = { data: new Uint8Array(), index: 0, term: 0, confState: { voters: [], learners: [] } };
  eachField(buf, (no, wt, r) => {
    if (no === 1 && wt === WireType.LengthDelimited) {
      s.data = r.bytes();
      return true;
    }
    if (no !== 2 || wt !== WireType.LengthDelimited) return false;
    eachField(r.bytes(), (mno, mwt, mr) => {
      if (mno === 1 && mwt === WireType.LengthDelimited) s.confState = decodeConfState(mr.bytes());
      else if (mno === 2 && mwt === WireType.Varint) s.index = num(mr);
      else if (mno === 3 && mwt === WireType.Varint) s.term = num(mr);
      else return false;
      return true;
    });
    return true;
  });
  return s;
}

/** snappb.Snapshot: the CRC-32C of `data` and `data` (a marshalled raftpb.Snapshot). */
export function decodeSnapFile(buf: Uint8Array): { crc: number; data: Uint8Array } {
  const s: { crc: number; data: Uint8Array } = { crc: 0, data: new Uint8Array() };
  eachField(buf, (no, wt, r) => {
    if (no === 1 && wt === WireType.Varint) s.crc = r.uint32();
    else if (no === 2 && wt === WireType.LengthDelimited) s.data = r.bytes();
    else return false;
    return true;
  });
  return s;
}
