// Majority quorums over a set of voters (Raft §5.2, §5.3). Pure functions; the tracker
// feeds them each voter's acknowledged index or vote.
//
// Worked example for committedIndex: voters {1,2,3,4,5} with match indexes
// [9, 7, 7, 5, 2] (sorted descending). A quorum is 3, so the third-highest value (7)
// is on at least 3 voters: index 7 is replicated on a majority.

import type { NodeId } from './types.js';

export enum VoteResult {
  /** Neither a majority of yes nor of no yet. */
  Pending = 0,
  /** A majority said no (or can no longer say yes). */
  Lost = 1,
  /** A majority said yes. */
  Won = 2,
}

/** Size of a majority of n voters. */
export function majoritySize(n: number): number {
  return Math.floor(n / 2) + 1;
}

/**
 * The largest index acknowledged by a majority of `voters`; voters without an
 * acknowledgement count as 0. An empty voter set commits nothing (0).
 */
export function committedIndex(voters: Iterable<NodeId>, acked: (id: NodeId) => number | undefined): number {
  const idx: number[] = [];
  for (const id of voters) idx.push(acked(id) ?? 0);
  if (idx.length === 0) return 0;
  idx.sort((a, b) => b - a);
  return idx[majoritySize(idx.length) - 1]!;
}

/**
 * Tallies votes of `voters`; `votes` may hold answers from non-voters, which are ignored.
 * An empty voter set wins (there is no one to ask), as in etcd-io/raft.
 */
export function voteResult(voters: Iterable<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  let n = 0;
  let yes = 0;
  let missing = 0;
  for (const id of voters) {
    n++;
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) yes++;
  }
  if (n === 0) return VoteResult.Won;
  const q = majoritySize(n);
  if (yes >= q) return VoteResult.Won;
  if (yes + missing >= q) return VoteResult.Pending;
  return VoteResult.Lost;
}
