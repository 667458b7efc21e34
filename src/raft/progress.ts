// The leader's view of one follower's log.
//
// Invariant: 0 <= match < next. In Probe state the leader sends one append at a time
// and waits (paused) for the answer; in Replicate it streams optimistically, bounded by
// the inflight window; in Snapshot it waits for the follower to install a snapshot.

export enum ProgressState {
  Probe = 0,
  Replicate = 1,
  Snapshot = 2,
}

export class Progress {
  /** Highest index known to be replicated on the follower. */
  match = 0;
  /** Next index to send. */
  next: number;
  state = ProgressState.Probe;
  /** In Probe: an append is outstanding. */
  probeSent = false;
  /** In Snapshot: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** Last indexes of appends in flight, oldest first (bounded by maxInflight). */
  inflights: number[] = [];

  constructor(
    next: number,
    public isLearner: boolean,
    private readonly maxInflight: number,
  ) {
    this.next = next;
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
    } else {
      this.next = this.match + 1;
    }
    this.state = ProgressState.Probe;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights = [];
  }

  becomeReplicate(): void {
    this.state = ProgressState.Replicate;
    this.next = this.match + 1;
    this.probeSent = false;
    this.inflights = [];
  }

  becomeSnapshot(index: number): void {
    this.state = ProgressState.Snapshot;
    this.pendingSnapshot = index;
    this.probeSent = false;
    this.inflights = [];
  }

  /** A successful append response for index n. Returns true if match advanced. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    while (this.inflights.length > 0 && this.inflights[0]! <= n) this.inflights.shift();
    return updated;
  }

  /** A rejected append for `rejected`; `hint` is the follower's last index. Returns false if stale. */
  maybeDecrTo(rejected: number, hint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflights.length >= this.maxInflight;
      default:
        return true;
    }
  }

  /** Records an append that was sent ending at `last`. */
  sentEntries(last: number, count: number): void {
    if (this.state === ProgressState.Replicate) {
      if (count > 0) {
        this.next = last + 1;
        this.inflights.push(last);
      }
    } else if (this.state === ProgressState.Probe) {
      this.probeSent = true;
    }
  }
}
