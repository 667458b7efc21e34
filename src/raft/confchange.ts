// Applying one simple configuration change (Raft §4.1 of the thesis: one server at a
// time, so any two successive majorities overlap) to a ProgressTracker.
//
// - AddNode: adds a voter, or promotes an existing learner to voter.
// - AddLearnerNode: adds a learner, or demotes an existing voter to learner.
// - RemoveNode: removes a voter or learner (unknown ids are a no-op).
// - UpdateNode: no change to the configuration (the context is the application's).
// Removing or demoting the last voter is refused: a cluster without voters can never
// commit again.

import { ConfChangeType, type ConfChange } from './types.js';
import { Progress } from './tracker/progress.js';
import type { ProgressTracker } from './tracker/tracker.js';

export function applyConfChangeToTracker(t: ProgressTracker, cc: ConfChange, lastIndex: number): void {
  const id = cc.nodeId;
  const ensure = (isLearner: boolean): Progress => {
    let pr = t.progress.get(id);
    if (!pr) {
      // A new member's log is unknown: probe from our end. It counts as recently active
      // so that adding it does not make check-quorum step the leader down at once.
      pr = new Progress(lastIndex + 1, t.maxInflight, isLearner, t.maxInflightBytes);
      pr.recentActive = true;
      t.progress.set(id, pr);
    }
    pr.isLearner = isLearner;
    return pr;
  };
  switch (cc.type) {
    case ConfChangeType.AddNode:
      t.learners.delete(id);
      t.voters.add(id);
      ensure(false);
      break;
    case ConfChangeType.AddLearnerNode:
      if (t.voters.has(id) && t.voters.size === 1) throw new Error('raft: removed all voters');
      t.voters.delete(id);
      t.learners.add(id);
      ensure(true);
      break;
    case ConfChangeType.RemoveNode:
      if (t.voters.has(id) && t.voters.size === 1) throw new Error('raft: removed all voters');
      t.voters.delete(id);
      t.learners.delete(id);
      t.progress.delete(id);
      break;
    case ConfChangeType.UpdateNode:
      break;
    default:
      throw new Error(`raft: unknown conf change type ${String(cc.type)}`);
  }
}
