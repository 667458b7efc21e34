// The one loop that drives the raft core for a member, in etcd-io/raft's order for each
// Ready: persist (WAL write + fsync) → send messages → apply committed entries →
// advance. Only one Ready is in flight at a time; proposals that arrive while its fsync
// runs accumulate in the core and go out together in the next Ready, so concurrent
// writes share one fsync (group commit).

import type { RawNode } from '../raft/raw-node.js';
import type { MemoryStorage } from '../raft/storage.js';
import type { Entry, HardState, Message, ReadState, Snapshot, SoftState } from '../raft/types.js';

/** Durable log: resolves only once the records are on disk. */
export interface RaftLog {
  save(hardState: HardState | undefined, entries: Entry[]): Promise<void>;
}

export interface RaftLoopHandlers {
  send(messages: Message[]): void;
  /** Applies committed entries in order; must be synchronous. */
  apply(entries: Entry[]): void;
  readStates(states: ReadState[]): void;
  softState(state: SoftState): void;
  /**
   * A snapshot from the leader: made durable (snap file, WAL record) before the Ready's
   * hard state and entries, as etcd saves it; absent in tests that never receive one.
   */
  saveSnapshot?(snap: Snapshot): Promise<void>;
  /** Puts the snapshot's state in place before any entry after it is applied. */
  applySnapshot?(snap: Snapshot): Promise<void>;
  /** A persistence failure is fatal: the member must stop rather than diverge. */
  fatal(err: Error): void;
}

export class RaftLoop {
  private running = false;
  private scheduled = false;
  private stopped = false;
  private tickTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly node: RawNode,
    private readonly storage: MemoryStorage,
    private readonly log: RaftLog,
    private readonly handlers: RaftLoopHandlers,
  ) {}

  start(tickMs: number): void {
    this.tickTimer = setInterval(() => {
      this.node.tick();
      this.kick();
    }, tickMs);
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
  }

  /** Call after anything that may have produced work for the core (propose, step, tick). */
  kick(): void {
    if (this.scheduled || this.running || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      while (!this.stopped && this.node.hasReady()) {
        const rd = this.node.ready();
        if (rd.softState) this.handlers.softState(rd.softState);
        if (rd.snapshot) await this.handlers.saveSnapshot?.(rd.snapshot);
        if (rd.hardState || rd.entries.length > 0) {
          await this.log.save(rd.hardState, rd.entries);
        }
        if (rd.snapshot) this.storage.applySnapshot(rd.snapshot);
        if (rd.hardState) this.storage.setHardState(rd.hardState);
        if (rd.entries.length > 0) this.storage.append(rd.entries);
        if (this.stopped) break;
        if (rd.messages.length > 0) this.handlers.send(rd.messages);
        if (rd.snapshot) await this.handlers.applySnapshot?.(rd.snapshot);
        if (this.stopped) break;
        if (rd.committedEntries.length > 0) this.handlers.apply(rd.committedEntries);
        if (rd.readStates.length > 0) this.handlers.readStates(rd.readStates);
        this.node.advance();
      }
    } catch (err) {
      this.handlers.fatal(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.running = false;
    }
    if (!this.stopped && this.node.hasReady()) this.kick();
  }
}
