// The configuration (voters, learners) and the per-member progress and votes, as one
// object the raft core consults for quorums.
//
// Invariants: `voters` and `learners` are disjoint; `progress` has exactly one entry
// per member of voters ∪ learners; `votes` only matters while campaigning.

import { VoteResult, committedIndex, voteResult } from '../quorum.js';
import type { ConfState, NodeId } from '../types.js';
import { Progress } from './progress.js';

export function compareIds(a: NodeId, b: NodeId): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class ProgressTracker {
  readonly voters = new Set<NodeId>();
  readonly learners = new Set<NodeId>();
  readonly progress = new Map<NodeId, Progress>();
  /** Votes received in the current (pre-)campaign; true = granted. */
  readonly votes = new Map<NodeId, boolean>();

  constructor(
    /** Per-follower inflight window (RaftConfig.maxInflightMsgs). */
    readonly maxInflight: number,
    readonly maxInflightBytes = 0,
  ) {}

  /** Member ids (voters and learners) in ascending order, for deterministic iteration. */
  ids(): NodeId[] {
    return [...this.progress.keys()].sort(compareIds);
  }

  votersSorted(): NodeId[] {
    return [...this.voters].sort(compareIds);
  }

  /** Visits every member in ascending id order. */
  visit(fn: (id: NodeId, pr: Progress) => void): void {
    for (const id of this.ids()) fn(id, this.progress.get(id)!);
  }

  confState(): ConfState {
    return { voters: this.votersSorted(), learners: [...this.learners].sort(compareIds) };
  }

  isSingleton(): boolean {
    return this.voters.size === 1;
  }

  /** The highest index replicated on a majority of voters. */
  committed(): number {
    return committedIndex(this.voters, (id) => this.progress.get(id)?.match);
  }

  /** Whether a majority of voters was recently active (check-quorum). */
  quorumActive(): boolean {
    const active = new Map<NodeId, boolean>();
    for (const id of this.voters) active.set(id, this.progress.get(id)?.recentActive ?? false);
    return voteResult(this.voters, active) === VoteResult.Won;
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Records the first answer of `id` in this campaign; later duplicates are ignored. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected, result: voteResult(this.voters, this.votes) };
  }

  /** Builds a tracker for `cs` with every member probed from `next`. */
  static fromConfState(cs: ConfState, next: number, maxInflight: number, maxInflightBytes = 0): ProgressTracker {
    const t = new ProgressTracker(maxInflight, maxInflightBytes);
    for (const id of cs.voters) {
      t.voters.add(id);
      t.progress.set(id, new Progress(next, maxInflight, false, maxInflightBytes));
    }
    for (const id of cs.learners) {
      if (t.voters.has(id)) throw new Error(`raft: ${id.toString(16)} is in voters and learners`);
      t.learners.add(id);
      t.progress.set(id, new Progress(next, maxInflight, true, maxInflightBytes));
    }
    return t;
  }
}
