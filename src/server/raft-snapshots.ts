// Keeps the raft log bounded, as etcd does with --snapshot-count: once that many entries
// were applied since the last snapshot, the member records a raft snapshot at its
// applied index (the state itself is the backend, already committed up to that index),
// lets the WAL release the segments before it, and drops from memory all but the last
// --experimental-snapshot-catchup-entries entries so followers that lag a little can
// still be caught up from the log. A follower further behind gets the snapshot itself,
// sent with a copy of the backend (transport/snapshot-sender.ts).
//
// Order matters for crash safety: backend committed (its consistent index covers the
// snapshot) → snapshot file written → WAL snapshot record → WAL segments released.

import type { MemoryStorage } from '../raft/storage.js';
import type { ConfState, Snapshot } from '../raft/types.js';

/** Entries kept behind a snapshot for followers that lag a little (etcd: 5000). */
export const CATCH_UP_ENTRIES = 5000;

export interface SnapshotSink {
  /** Makes the backend durable up to the applied index. */
  commitBackend(): Promise<void>;
  /** Writes the snapshot file and the WAL's snapshot record, then releases old segments. */
  save(snap: Snapshot): Promise<void>;
}

export interface SnapshotLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export class RaftSnapshots {
  private snapIndex: number;
  private running = false;
  private readonly catchUpEntries: number;

  constructor(
    private readonly storage: MemoryStorage,
    private readonly sink: SnapshotSink,
    private readonly snapshotCount: number,
    private readonly log: SnapshotLogger,
    catchUpEntries: number | undefined = CATCH_UP_ENTRIES,
  ) {
    this.snapIndex = storage.snapshot().metadata.index;
    this.catchUpEntries = catchUpEntries ?? CATCH_UP_ENTRIES;
  }

  /** Whether a snapshot would be taken at `applied`; lets callers skip preparing its inputs. */
  due(applied: number): boolean {
    return !this.running && this.snapshotCount > 0 && applied - this.snapIndex > this.snapshotCount;
  }

  /** Called after entries were applied, between Readys (so `applied` is in the storage). */
  maybeSnapshot(applied: number, confState: ConfState, data: Uint8Array): Promise<void> | undefined {
    if (!this.due(applied)) return undefined;
    this.running = true;
    const snap = this.storage.createSnapshot(applied, confState, data);
    this.snapIndex = applied;
    return this.persist(snap).finally(() => {
      this.running = false;
    });
  }

  /** A snapshot from the leader was installed: the next one counts from its index. */
  installed(index: number): void {
    this.snapIndex = Math.max(this.snapIndex, index);
  }

  private async persist(snap: Snapshot): Promise<void> {
    const { index, term } = snap.metadata;
    try {
      await this.sink.commitBackend();
      await this.sink.save(snap);
      this.log.info('saved snapshot', { 'snapshot-index': index });
      const compactTo = index - this.catchUpEntries;
      if (compactTo > this.storage.firstIndex()) {
        this.storage.compact(compactTo);
        this.log.info('compacted Raft logs', { 'compact-index': compactTo });
      }
    } catch (err) {
      // The log simply stays longer; the next trigger tries again.
      this.log.warn('failed to save snapshot', { 'snapshot-index': index, 'snapshot-term': term, error: (err as Error).message });
      this.snapIndex = Math.min(this.snapIndex, this.storage.firstIndex() - 1);
    }
  }
}
