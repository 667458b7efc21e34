// The leader's view of one follower's log, and the flow control that follows from it.
//
// Invariant: 0 <= match < next.
// States:
// - Probe: the leader does not know where the follower's log diverges. It sends one
//   append at a time (`msgAppFlowPaused` after each) and waits for the answer or the
//   next heartbeat response, walking `next` back on rejections (fast backtracking).
// - Replicate: the follower is known to match up to `match`; the leader streams
//   appends optimistically (advancing `next`), bounded by the inflights window.
// - Snapshot: the follower needs a snapshot at `pendingSnapshot`; nothing is sent
//   until it reports success or failure (reportSnapshot) or acknowledges past it.

import { Inflights } from './inflights.js';

export enum ProgressState {
  Probe = 0,
  Replicate = 1,
  Snapshot = 2,
}

export const PROGRESS_STATE_NAMES: Record<ProgressState, string> = {
  [ProgressState.Probe]: 'StateProbe',
  [ProgressState.Replicate]: 'StateReplicate',
  [ProgressState.Snapshot]: 'StateSnapshot',
};

export class Progress {
  /** Highest index known to be in the follower's (durable) log. */
  match = 0;
  /** Index of the next entry to send. */
  next: number;
  state = ProgressState.Probe;
  /** In Snapshot state: index of the snapshot being sent; 0 otherwise. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round (the leader's own entry is always true). */
  recentActive = false;
  /**
   * Appends to this follower are paused: in Probe, a probe is outstanding; in Replicate,
   * the inflights window is full. Cleared by a heartbeat response or an acknowledgement.
   */
  msgAppFlowPaused = false;
  /** Appends in flight (meaningful in Replicate state). */
  readonly inflights: Inflights;
  /** Learners receive the log but never vote and never count towards a quorum. */
  isLearner: boolean;

  constructor(next: number, maxInflight: number, isLearner: boolean, maxInflightBytes = 0) {
    this.next = next;
    this.inflights = new Inflights(maxInflight, maxInflightBytes);
    this.isLearner = isLearner;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot the follower has at least the snapshot: probe right after it.
    if (this.state === ProgressState.Snapshot) {
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
  }

  /**
   * Accounts for an append of `entries` entries (`bytes` of payload) starting at `next`.
   * In Replicate the window advances optimistically; in Probe every append is a probe.
   */
  sentEntries(entries: number, bytes: number): void {
    switch (this.state) {
      case ProgressState.Replicate:
        if (entries > 0) {
          const last = this.next + entries - 1;
          this.next = last + 1;
          this.inflights.add(last, bytes);
        }
        this.msgAppFlowPaused = this.inflights.full();
        break;
      case ProgressState.Probe:
        this.msgAppFlowPaused = true;
        break;
      default:
        throw new Error(`raft: sending append in unhandled state ${PROGRESS_STATE_NAMES[this.state]}`);
    }
  }

  /** A successful append response up to `n`. Returns false if it was stale (n <= match). */
  maybeUpdate(n: number): boolean {
    if (n <= this.match) return false;
    this.match = n;
    this.next = Math.max(this.next, n + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /**
   * A rejected append whose previous index was `rejected`; the follower suggests that its
   * log may match the leader's up to `matchHint`. Returns false if the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      // Everything up to match is acknowledged: a rejection at or below it is stale.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // In Probe only the answer to the latest probe (sent at next-1) counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /** Whether the leader should hold back appends (heartbeats still go out). */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
      case ProgressState.Replicate:
        return this.msgAppFlowPaused;
      default:
        return true;
    }
  }

  toString(): string {
    let s = `${PROGRESS_STATE_NAMES[this.state]} match=${this.match} next=${this.next}`;
    if (this.isLearner) s += ' learner';
    if (this.isPaused()) s += ' paused';
    if (this.pendingSnapshot > 0) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += ' inactive';
    if (this.inflights.count() > 0) s += ` inflight=${this.inflights.count()}`;
    if (this.inflights.full()) s += '[full]';
    return s;
  }
}
