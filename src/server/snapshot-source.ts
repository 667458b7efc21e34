// What a leader sends a member that is behind its compacted log: raft's snapshot message
// with the metadata rewritten to describe a copy of the backend taken now (as etcd's
// merged snapshot message does). The copy's own consistent index and term become the
// snapshot's index and term, and its members bucket the configuration, all read from the
// very state the copy holds: the receiver then applies exactly the entries after it.

import type { Readable } from 'node:stream';
import type { CommittedRead } from '../storage/backend.js';
import type { ConfState, Snapshot } from '../raft/types.js';
import { META_CONSISTENT_INDEX, META_TERM } from '../mvcc/kv-store.js';
import { decodeMember, type Member } from './membership.js';
import { backendSnapshotSeconds } from '../metrics/registry.js';

export interface SnapshotCopy {
  /** The backend's bytes; the copy is removed when the stream closes. */
  stream: Readable;
  size: number;
  /** Index, term, configuration and membership of exactly the copied state. */
  snapshot: Snapshot;
}

export interface CopyableBackend {
  inspectedCopy<T>(inspect: (read: CommittedRead) => T): Promise<{ stream: Readable; size: number; inspected: T }>;
}

function u64(b: Buffer | undefined): number {
  return b && b.length >= 8 ? Number(b.readBigUInt64BE(0)) : 0;
}

/** The snapshot's data: the members, as the member's own raft snapshots record them. */
export function membershipSnapshotData(members: Member[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(members.map((m) => ({ ...m, id: m.id.toString(16) }))));
}

export function confStateOf(members: Member[]): ConfState {
  return {
    voters: members.filter((m) => !m.isLearner).map((m) => m.id),
    learners: members.filter((m) => m.isLearner).map((m) => m.id),
  };
}

export async function copyForSnapshot(backend: CopyableBackend): Promise<SnapshotCopy> {
  const { stream, size, inspected } = await backend.inspectedCopy((read) => {
    const members = read.range('members', Buffer.alloc(0)).map((e) => decodeMember(e.value));
    members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { index: u64(read.get('meta', META_CONSISTENT_INDEX)), term: u64(read.get('meta', META_TERM)), members };
  });
  // Timed as the Snapshot rpc's copies are (backend-snapshot.ts): etcd observes the backend
  // snapshots it sends to peers in the same histogram.
  const timed = backendSnapshotSeconds.startTimer();
  stream.once('close', () => timed());
  const snapshot: Snapshot = {
    data: membershipSnapshotData(inspected.members),
    metadata: { index: inspected.index, term: inspected.term, confState: confStateOf(inspected.members) },
  };
  return { stream, size, snapshot };
}
