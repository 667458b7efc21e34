// A leader Ready that only moves the commit index answers its committed entries before it
// tells the followers the new commit index, and every follower still learns it: three raft
// loops over an in-memory network, with each member's message order checked against the
// order raft produced the messages in.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawNode } from '../../src/raft/raw-node.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { EntryType, MessageType, StateType, type Entry, type Message } from '../../src/raft/types.js';
import { RaftLoop } from '../../src/server/raft-loop.js';
import { seeded } from '../raft/sim-network.js';

interface Member {
  id: bigint;
  node: RawNode;
  loop: RaftLoop;
  /** Normal entries applied, by their data. */
  applied: string[];
  /** What happened, in order: 'apply <data>' and 'send <type> to <id> commit <n>'. */
  events: string[];
  /** Messages as raft handed them out in Readies, per destination. */
  produced: Map<bigint, Message[]>;
  /** Messages as the loop sent them, per destination. */
  sent: Map<bigint, Message[]>;
}

const IDS = [1n, 2n, 3n];
const PUTS = 20;

function until(cond: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const check = (): void => {
      if (cond()) resolve();
      else if (Date.now() > deadline) reject(new Error('condition not reached'));
      else setImmediate(check);
    };
    check();
  });
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

test('a commit-only leader Ready answers before it sends, and followers still learn the commit in order', async () => {
  const members = new Map<bigint, Member>();
  for (const id of IDS) {
    const storage = new MemoryStorage();
    const node = new RawNode({ id, electionTick: 10, heartbeatTick: 1, storage, maxSizePerMsg: 1 << 20, maxInflightMsgs: 256, checkQuorum: false, preVote: false, random: seeded(Number(id)) });
    node.bootstrap(IDS.map((p) => ({ id: p, context: new Uint8Array() })));
    const m = { id, node, applied: [], events: [], produced: new Map(), sent: new Map() } as unknown as Member;
    // Record what raft hands out, before the loop decides when to send it.
    const ready = node.ready.bind(node);
    node.ready = () => {
      const rd = ready();
      for (const msg of rd.messages) push(m.produced, msg.to, msg);
      return rd;
    };
    m.loop = new RaftLoop(node, storage, { save: async () => undefined }, {
      send: (msgs) => {
        for (const msg of msgs) {
          push(m.sent, msg.to, msg);
          m.events.push(`send ${msg.type} to ${msg.to} commit ${msg.commit}`);
          // Delivered on a later turn, as a socket would.
          setImmediate(() => {
            const to = members.get(msg.to)!;
            to.node.step(msg);
            to.loop.kick();
          });
        }
      },
      apply: (entries: Entry[]) => {
        for (const e of entries) {
          if (e.type !== EntryType.Normal || e.data.length === 0) continue;
          const data = Buffer.from(e.data).toString();
          m.applied.push(data);
          m.events.push(`apply ${data}`);
        }
      },
      readStates: () => undefined,
      softState: () => undefined,
      fatal: (err) => assert.fail(err),
    });
    members.set(id, m);
  }
  const leader = members.get(1n)!;
  try {
    for (const m of members.values()) m.loop.start(60_000); // no ticks during the test
    // The bootstrap's conf changes are applied first: raft does not campaign before that.
    await until(() => [...members.values()].every((m) => !m.node.hasReady()));
    leader.node.campaign();
    leader.loop.kick();
    await until(() => leader.node.raft.state === StateType.Leader);

    for (let i = 0; i < PUTS; i++) {
      leader.node.propose(Buffer.from(`put${i}`));
      leader.loop.kick();
      await until(() => leader.applied.length === i + 1);
    }
    await until(() => [...members.values()].every((m) => m.applied.length === PUTS));

    for (const m of members.values()) assert.deepEqual(m.applied, Array.from({ length: PUTS }, (_, i) => `put${i}`));
    // Each put was answered before the leader sent the commit index that covers it.
    for (let i = 0; i < PUTS; i++) {
      const applyAt = leader.events.indexOf(`apply put${i}`);
      const commitIndex = leader.node.commitIndex() - (PUTS - 1 - i);
      const sendAt = leader.events.findIndex((e) => /^send (\d+) to \d+ commit (\d+)$/.test(e) && Number(/commit (\d+)$/.exec(e)![1]) >= commitIndex && e.startsWith(`send ${MessageType.App} `));
      assert.ok(sendAt > applyAt, `put${i}: applied at event ${applyAt}, commit ${commitIndex} sent at ${sendAt}`);
    }
    // Nothing was reordered or lost on the way to any peer.
    const settled = (): boolean => [...members.values()].every((m) => [...m.produced].every(([to, p]) => (m.sent.get(to)?.length ?? 0) === p.length));
    await until(settled);
    for (const m of members.values()) {
      for (const [to, produced] of m.produced) assert.deepEqual(m.sent.get(to), produced, `member ${m.id} to ${to}`);
    }
  } finally {
    for (const m of members.values()) m.loop.stop();
  }
});
