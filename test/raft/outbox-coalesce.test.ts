// Merging appends and their answers per Ready (RaftConfig.coalesceMessages, outbox-coalesce.ts):
// a leader that gets several proposals between two Readies sends each follower one append
// with all of them, a follower answers several appends with one acknowledgement, and what
// raft decides (what commits, on which member) is the same as message by message.
// Driven by hand through RawNode, with no timers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawNode } from '../../src/raft/raw-node.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { decodeConfChange } from '../../src/raft/confchange-codec.js';
import { EntryType, MessageType, StateType, type Entry, type Message, type NodeId } from '../../src/raft/types.js';
import { seeded } from './sim-network.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const IDS: NodeId[] = [1n, 2n, 3n];

interface Member {
  node: RawNode;
  storage: MemoryStorage;
  applied: string[];
}

function cluster(coalesce: boolean, maxSizePerMsg = 1 << 20): Map<NodeId, Member> {
  const out = new Map<NodeId, Member>();
  for (const id of IDS) {
    const storage = new MemoryStorage();
    const node = new RawNode({ id, electionTick: 10, heartbeatTick: 1, storage, maxSizePerMsg, maxInflightMsgs: 256, checkQuorum: false, preVote: false, random: seeded(Number(id)), coalesceMessages: coalesce });
    node.bootstrap(IDS.map((p) => ({ id: p, context: new Uint8Array() })));
    out.set(id, { node, storage, applied: [] });
  }
  return out;
}

/** Handles one member's pending Readies as a server would; returns the messages they carry. */
function readies(m: Member): Message[] {
  const sent: Message[] = [];
  while (m.node.hasReady()) {
    const rd = m.node.ready();
    if (rd.hardState) m.storage.setHardState(rd.hardState);
    m.storage.append(rd.entries);
    sent.push(...rd.messages);
    for (const e of rd.committedEntries) {
      if (e.type === EntryType.ConfChange) m.node.applyConfChange(decodeConfChange(e.data));
      else if (e.data.length > 0) m.applied.push(dec(e.data));
    }
    m.node.advance();
  }
  return sent;
}

/** Runs Readies and delivers every message until nothing moves; member 1 leads afterwards. */
function settle(c: Map<NodeId, Member>): void {
  for (let round = 0; round < 50; round++) {
    const msgs: Message[] = [];
    for (const m of c.values()) msgs.push(...readies(m));
    if (msgs.length === 0) return;
    for (const msg of msgs) c.get(msg.to)!.node.step(msg);
  }
  throw new Error('cluster did not settle');
}

function elected(coalesce: boolean, maxSizePerMsg?: number): Map<NodeId, Member> {
  const c = cluster(coalesce, maxSizePerMsg);
  settle(c); // the bootstrap entries: every member learns the configuration
  c.get(1n)!.node.campaign();
  settle(c);
  assert.equal(c.get(1n)!.node.status().raftState, StateType.Leader);
  return c;
}

const appendsTo = (msgs: Message[], to: NodeId) => msgs.filter((m) => m.type === MessageType.App && m.to === to);
const payloads = (ents: Entry[]) => ents.map((e) => dec(e.data));

test('a leader sends each follower one append carrying every proposal made since the last Ready', () => {
  for (const coalesce of [false, true]) {
    const c = elected(coalesce);
    const leader = c.get(1n)!;
    for (let i = 0; i < 5; i++) leader.node.propose(enc(`v${i}`));
    const msgs = readies(leader);
    for (const to of [2n, 3n]) {
      const apps = appendsTo(msgs, to);
      // Without merging it is one append per proposal, as etcd's raft sends them.
      assert.equal(apps.length, coalesce ? 1 : 5, `coalesce=${coalesce} appends to ${to}`);
      assert.deepEqual(apps.flatMap((m) => payloads(m.entries)), ['v0', 'v1', 'v2', 'v3', 'v4']);
    }
    for (const msg of msgs) c.get(msg.to)!.node.step(msg);
    settle(c);
    for (const m of c.values()) assert.deepEqual(m.applied, ['v0', 'v1', 'v2', 'v3', 'v4'], `coalesce=${coalesce}`);
  }
});

test('a merged append stays within maxSizePerMsg (24 bytes of overhead per entry, as the log counts)', () => {
  // Each entry counts 40 + 24 bytes: three fit in 200, a fourth starts a new append.
  const c = elected(true, 200);
  const leader = c.get(1n)!;
  for (let i = 0; i < 5; i++) leader.node.propose(enc(`${i}`.padEnd(40, '.')));
  const apps = appendsTo(readies(leader), 2n);
  assert.deepEqual(apps.map((m) => m.entries.length), [3, 2]);
  // The second continues the first: it starts where the first ends, with its last term.
  assert.equal(apps[1]!.index, apps[0]!.index + 3);
  assert.equal(apps[1]!.logTerm, apps[0]!.entries[2]!.term);
});

test('a commit-only append folds into a pending append to the same follower, keeping the newer commit index', () => {
  const c = elected(true);
  const leader = c.get(1n)!;
  const f2 = c.get(2n)!;
  leader.node.propose(enc('a'));
  const first = readies(leader);
  // Member 2 acknowledges; member 3's copy is held back.
  for (const msg of appendsTo(first, 2n)) f2.node.step(msg);
  const acks = readies(f2);
  // A new proposal is made, then the acknowledgement commits 'a' and sends the commit index.
  leader.node.propose(enc('b'));
  for (const ack of acks) leader.node.step(ack);
  const second = readies(leader);
  const to3 = appendsTo(second, 3n);
  assert.equal(to3.length, 1, 'one append to member 3: the new entry and the new commit index');
  assert.deepEqual(payloads(to3[0]!.entries), ['b']);
  assert.equal(to3[0]!.commit, leader.node.status().commit);
  assert.deepEqual(leader.applied, ['a']);
});

test('a follower answers several appends handled in one Ready with one acknowledgement of the last index', () => {
  const c = elected(true);
  const leader = c.get(1n)!;
  const f2 = c.get(2n)!;
  const held: Message[] = [];
  // Three separate leader Readies: three appends to member 2, delivered together.
  for (const v of ['x', 'y', 'z']) {
    leader.node.propose(enc(v));
    held.push(...appendsTo(readies(leader), 2n));
  }
  assert.equal(held.length, 3);
  for (const msg of held) f2.node.step(msg);
  const answers = readies(f2).filter((m) => m.type === MessageType.AppResp);
  assert.equal(answers.length, 1);
  assert.equal(answers[0]!.reject, false);
  assert.equal(answers[0]!.index, held[2]!.index + 1);
  // That one answer lets the leader commit all three.
  leader.node.step(answers[0]!);
  readies(leader);
  assert.deepEqual(leader.applied, ['x', 'y', 'z']);
});

test('rejections are not merged: each keeps its own hint', () => {
  const c = elected(true);
  const f2 = c.get(2n)!;
  const term = f2.node.status().term;
  const last = f2.storage.lastIndex();
  // Appends that continue entries member 2 does not have: both are refused.
  for (const index of [last + 5, last + 9]) {
    f2.node.step({ type: MessageType.App, to: 2n, from: 1n, term, logTerm: term, index, entries: [], commit: 0, reject: false, rejectHint: 0, context: new Uint8Array() });
  }
  const answers = readies(f2).filter((m) => m.type === MessageType.AppResp);
  assert.deepEqual(answers.map((m) => [m.reject, m.index]), [
    [true, last + 5],
    [true, last + 9],
  ]);
});
