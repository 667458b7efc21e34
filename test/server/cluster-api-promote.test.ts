// What the leader checks before proposing a promotion, with strict reconfiguration
// checks on: how far the learner got, and whether the voters after it have a started
// quorum. Everything about the member list itself is left to apply.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterApi } from '../../src/server/cluster-api.js';
import { Membership, isPromotion, type Member } from '../../src/server/membership.js';
import { AuthGate } from '../../src/server/auth-gate.js';
import { Errors } from '../../src/server/errors.js';
import { ProgressState } from '../../src/raft/index.js';
import type { ConfChange } from '../../src/raft/types.js';
import type { PeerStatus } from '../../src/raft/raw-node.js';

function progress(match: number, isLearner = false): PeerStatus {
  return { match, next: match + 1, isLearner, recentActive: true, state: ProgressState.Replicate, paused: false, inflight: 0, pendingSnapshot: 0 };
}

function leaderWith(members: Member[], matches: Map<bigint, PeerStatus>) {
  const proposed: Omit<ConfChange, 'id'>[] = [];
  const membership = new Membership(7n, {
    saveMember: () => {},
    deleteMember: () => {},
    loadMembers: () => ({ members, removed: [] }),
    saveClusterVersion: () => {},
    loadClusterVersion: () => '',
  });
  const api = new ClusterApi({
    memberId: 1n,
    membership,
    gate: new AuthGate(),
    strictReconfigCheck: true,
    proposeConfChange: async (cc) => void proposed.push(cc),
    activeSince: () => 0,
    leaderProgress: () => matches,
    forwardPromote: async () => assert.fail('the leader does not forward'),
    now: () => 60_000,
  });
  return { api, proposed };
}

const leader: Member = { id: 1n, name: 'a', peerURLs: ['http://127.0.0.1:2380'], clientURLs: [], isLearner: false };

test('a caught-up learner that has not published its name yet counts as started: promoted', async () => {
  const learner: Member = { id: 2n, name: '', peerURLs: ['http://127.0.0.1:2381'], clientURLs: [], isLearner: true };
  const { api, proposed } = leaderWith([leader, learner], new Map([[1n, progress(100)], [2n, progress(100, true)]]));
  await api.promote(2n);
  assert.equal(proposed.length, 1);
  assert.equal(proposed[0]!.nodeId, 2n);
  assert.ok(isPromotion(proposed[0]!.context));
});

test('a learner below 90% of the leader\'s log is refused before proposing', async () => {
  const learner: Member = { id: 2n, name: 'b', peerURLs: ['http://127.0.0.1:2381'], clientURLs: [], isLearner: true };
  const { api, proposed } = leaderWith([leader, learner], new Map([[1n, progress(100)], [2n, progress(89, true)]]));
  await assert.rejects(api.promote(2n), (e) => e === Errors.LearnerNotReady);
  assert.equal(proposed.length, 0);
});

test('an id the leader has no progress for is proposed, for apply to refuse', async () => {
  const { api, proposed } = leaderWith([leader], new Map([[1n, progress(100)]]));
  await api.promote(1234n);
  assert.equal(proposed[0]!.nodeId, 1234n);
});

test('too few started voters after the promotion: not enough started members', async () => {
  const unstarted = (id: bigint): Member => ({ id, name: '', peerURLs: [`http://127.0.0.1:${2390 + Number(id)}`], clientURLs: [], isLearner: false });
  const learner: Member = { id: 9n, name: 'l', peerURLs: ['http://127.0.0.1:2389'], clientURLs: [], isLearner: true };
  // Voters a (started), 2, 3, 4 (never started): with the learner, 2 started of 5 is no quorum.
  const members = [leader, unstarted(2n), unstarted(3n), unstarted(4n), learner];
  const { api, proposed } = leaderWith(members, new Map([[1n, progress(100)], [9n, progress(100, true)]]));
  await assert.rejects(api.promote(9n), (e) => e === Errors.MemberNotEnoughStarted);
  assert.equal(proposed.length, 0);
});
