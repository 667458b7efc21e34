// A promotion is decided when its conf change applies, against the member list of that
// moment: every member refuses the same ones, and a refused one changes nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Membership, encodeMember, encodePromotion, type Member, type MembershipStore } from '../../src/server/membership.js';
import { Errors } from '../../src/server/errors.js';
import { ConfChangeType } from '../../src/raft/types.js';

function memoryStore(members: Member[]): MembershipStore {
  return {
    saveMember: () => {},
    deleteMember: () => {},
    loadMembers: () => ({ members, removed: [9n] }),
    saveClusterVersion: () => {},
    loadClusterVersion: () => '',
  };
}

const voter: Member = { id: 1n, name: 'a', peerURLs: ['http://127.0.0.1:2380'], clientURLs: [], isLearner: false };
const learner: Member = { id: 2n, name: 'b', peerURLs: ['http://127.0.0.1:2381'], clientURLs: [], isLearner: true };

function promotion(id: bigint) {
  return { type: ConfChangeType.AddNode, nodeId: id, context: encodePromotion(id), id: 0n };
}

test('promoting an unknown or removed id is refused as member not found, a voter as not a learner', () => {
  const m = new Membership(7n, memoryStore([voter, learner]));
  assert.equal(m.validateConfChange(promotion(1234n)), Errors.MemberNotFound);
  assert.equal(m.validateConfChange(promotion(9n)), Errors.MemberNotFound);
  assert.equal(m.validateConfChange(promotion(1n)), Errors.MemberNotLearner);
});

test('promoting a learner makes it a voter with everything else kept', () => {
  const m = new Membership(7n, memoryStore([voter, learner]));
  assert.equal(m.validateConfChange(promotion(2n)), undefined);
  m.applyConfChange(promotion(2n), false);
  assert.deepEqual(m.get(2n), { ...learner, isLearner: false });
});

test('a promotion logged without the promotion mark (older etcd-ts) still promotes its learner', () => {
  const m = new Membership(7n, memoryStore([voter, learner]));
  const legacy = { type: ConfChangeType.AddNode, nodeId: 2n, context: encodeMember({ ...learner, isLearner: false }), id: 0n };
  assert.equal(m.validateConfChange(legacy), undefined);
  m.applyConfChange(legacy, false);
  assert.equal(m.get(2n)?.isLearner, false);
});
