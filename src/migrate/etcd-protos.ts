// etcd's raft files (WAL records and snap files) decoded with the messages generated from
// proto/raftpb, proto/walpb and proto/snappb, into the plain shapes the migration uses:
// indexes and terms as numbers (checked to fit), ids as bigints.

import { ConfChange, ConfState, Entry, HardState, Snapshot as RaftSnapshot } from '../gen/raftpb/raft.js';
import { Record as WalRecord, Snapshot as WalSnapshot } from '../gen/walpb/record.js';
import { snapshot as SnapFile } from '../gen/snappb/snap.js';

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

/** A raft index or term: below 2^53 in any real log. */
function num(v: bigint | undefined): number {
  const n = v ?? 0n;
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`etcd data: index or term ${n} out of range`);
  return Number(n);
}

const EMPTY = new Uint8Array();

export function decodeRecord(buf: Uint8Array): EtcdRecord {
  const r = WalRecord.decode(buf);
  return { type: Number(BigInt.asIntN(64, r.type ?? 0n)), crc: r.crc ?? 0, data: r.data ?? EMPTY };
}

export function decodeSnapshotMark(buf: Uint8Array): EtcdSnapshotMark {
  const s = WalSnapshot.decode(buf);
  return { index: num(s.index), term: num(s.term) };
}

export function decodeEntry(buf: Uint8Array): EtcdEntry {
  const e = Entry.decode(buf);
  return { term: num(e.Term), index: num(e.Index), type: e.Type ?? 0, data: e.Data ?? EMPTY };
}

export function decodeHardState(buf: Uint8Array): EtcdHardState {
  const s = HardState.decode(buf);
  return { term: num(s.term), vote: s.vote ?? 0n, commit: num(s.commit) };
}

export function decodeConfChange(buf: Uint8Array): EtcdConfChange {
  const cc = ConfChange.decode(buf);
  return { id: cc.id ?? 0n, type: cc.type ?? 0, nodeId: cc.nodeId ?? 0n, context: cc.context ?? EMPTY };
}

function confStateOf(cs: ConfState | undefined): EtcdConfState {
  // A joint configuration (voters_outgoing, learners_next): etcd 3.4/3.5 never leave one in
  // a snapshot, as they only use simple conf changes.
  if ((cs?.votersOutgoing.length ?? 0) > 0 || (cs?.learnersNext.length ?? 0) > 0) {
    throw new Error('etcd data: snapshot holds a joint configuration, which etcd-ts cannot take over');
  }
  return { voters: cs?.voters ?? [], learners: cs?.learners ?? [] };
}

export function decodeRaftSnapshot(buf: Uint8Array): EtcdRaftSnapshot {
  const s = RaftSnapshot.decode(buf);
  return { data: s.data ?? EMPTY, index: num(s.metadata?.index), term: num(s.metadata?.term), confState: confStateOf(s.metadata?.confState) };
}

/** snappb.Snapshot: the CRC-32C of `data` and `data` (a marshalled raftpb.Snapshot). */
export function decodeSnapFile(buf: Uint8Array): { crc: number; data: Uint8Array } {
  const s = SnapFile.decode(buf);
  return { crc: s.crc ?? 0, data: s.data ?? EMPTY };
}
