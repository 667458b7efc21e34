// RaftLoop.kickNow takes the waiting Ready as soon as the current callback returns, ahead of
// callbacks already queued with setImmediate; kick() waits for the check phase behind them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawNode } from '../../src/raft/raw-node.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { EntryType, StateType, type Entry } from '../../src/raft/types.js';
import { RaftLoop } from '../../src/server/raft-loop.js';
import { seeded } from '../raft/sim-network.js';

function soleLeader(events: string[]): { node: RawNode; loop: RaftLoop } {
  const storage = new MemoryStorage();
  const node = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage, maxSizePerMsg: 1 << 20, maxInflightMsgs: 256, checkQuorum: false, preVote: false, random: seeded(1) });
  node.bootstrap([{ id: 1n, context: new Uint8Array() }]);
  const loop = new RaftLoop(node, storage, { save: async () => undefined }, {
    send: () => undefined,
    apply: (entries: Entry[]) => {
      for (const e of entries) if (e.type === EntryType.Normal && e.data.length > 0) events.push(`apply ${Buffer.from(e.data).toString()}`);
    },
    readStates: () => undefined,
    softState: () => undefined,
    fatal: (err) => assert.fail(err),
  });
  return { node, loop };
}

/** Waits (a bounded number of loop turns) until `cond` holds. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 10_000) assert.fail('condition not reached');
    await new Promise((r) => setImmediate(r));
  }
}

async function untilLeader(node: RawNode, loop: RaftLoop): Promise<void> {
  // The bootstrap's conf change is applied first: raft does not campaign before that.
  await until(() => !node.hasReady());
  node.campaign();
  loop.kick();
  await until(() => node.raft.state === StateType.Leader && !node.hasReady());
}

for (const now of [true, false]) {
  test(`${now ? 'kickNow' : 'kick'}: a proposal is applied ${now ? 'before' : 'after'} an immediate queued ahead of it`, async () => {
    const events: string[] = [];
    const { node, loop } = soleLeader(events);
    loop.start(60_000);
    try {
      await untilLeader(node, loop);
      const done = new Promise<void>((resolve) => setImmediate(() => (events.push('immediate'), resolve())));
      node.propose(Buffer.from('a'));
      if (now) loop.kickNow();
      else loop.kick();
      await done;
      await until(() => events.includes('apply a'));
      assert.deepEqual(events, now ? ['apply a', 'immediate'] : ['immediate', 'apply a']);
    } finally {
      loop.stop();
    }
  });
}
