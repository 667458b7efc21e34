// Raft behaviour the member relies on, end to end through RawNode: single-node election
// and commit, restart, bootstrap, replication and failover in a cluster, ReadIndex,
// leader transfer, pre-vote under partition. The protocol details are in the scripted
// interaction tests (testdata/*.txt) and the randomized simulation (simulation.test.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RawNode, bootstrap } from '../../src/raft/raw-node.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { ErrProposalDropped } from '../../src/raft/errors.js';
import { decodeConfChange } from '../../src/raft/confchange-codec.js';
import { EntryType, StateType, type Entry } from '../../src/raft/types.js';
import { SimCluster, seeded } from './sim-network.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const normal = (entries: Entry[]) => entries.filter((e) => e.type === EntryType.Normal && e.data.length > 0).map((e) => dec(e.data));

function singleNode(storage = new MemoryStorage()) {
  return new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage, maxSizePerMsg: 1 << 20, maxInflightMsgs: 256, checkQuorum: true, preVote: true, random: seeded(1) });
}

function drain(node: RawNode, storage: MemoryStorage): Entry[] {
  const applied: Entry[] = [];
  while (node.hasReady()) {
    const rd = node.ready();
    if (rd.hardState) storage.setHardState(rd.hardState);
    storage.append(rd.entries);
    for (const e of rd.committedEntries) {
      applied.push(e);
      if (e.type === EntryType.ConfChange) node.applyConfChange(decodeConfChange(e.data));
    }
    node.advance();
  }
  return applied;
}

test('the raft core imports nothing from node:* and uses no clock, timer, promise or Math.random (it is pure)', () => {
  const dir = resolve(import.meta.dirname, '..', '..', '..', 'src', 'raft');
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((n) => n.endsWith('.ts'));
  assert.ok(files.length >= 10 && files.some((f) => f.includes('tracker')), `found ${files.join(', ')}`);
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    assert.doesNotMatch(text, /from ['"]node:|import\(['"]node:|require\(|setTimeout|setInterval|setImmediate|Date\.now|new Date|performance\.|Promise|async |await |Math\.random|process\./, f);
    // Only relative imports: the core depends on nothing outside src/raft.
    for (const m of text.matchAll(/from ['"]([^'"]+)['"]/g)) assert.match(m[1]!, /^\.\.?\//, `${f} imports ${m[1]}`);
  }
});

test('a single voter elects itself, commits its proposals, and keeps them across restart', () => {
  const storage = new MemoryStorage();
  const node = singleNode(storage);
  node.bootstrap([{ id: 1n, context: new Uint8Array() }]);
  drain(node, storage);
  node.campaign();
  drain(node, storage);
  assert.equal(node.status().raftState, StateType.Leader);
  node.propose(enc('a'));
  node.propose(enc('b'));
  const rd = node.ready();
  assert.deepEqual(normal(rd.entries), ['a', 'b'], 'entries to persist');
  assert.deepEqual(normal(rd.committedEntries), [], 'not committed before the leader persisted them');
  assert.equal(rd.mustSync, true);
  storage.append(rd.entries);
  if (rd.hardState) storage.setHardState(rd.hardState);
  node.advance();
  const rd2 = node.ready();
  assert.deepEqual(normal(rd2.committedEntries), ['a', 'b'], 'a sole voter commits once persisted');
  assert.equal(rd2.hardState?.commit, rd.entries[rd.entries.length - 1]!.index);
  assert.equal(rd2.mustSync, false, 'a commit index alone needs no fsync');
  storage.setHardState(rd2.hardState!);
  node.advance();
  assert.equal(node.hasReady(), false);

  const restarted = singleNode(storage);
  const replay = drain(restarted, storage);
  assert.deepEqual(normal(replay), ['a', 'b'], 'committed entries are handed out again after restart');
  assert.equal(restarted.status().term, node.status().term);
});

test('a cluster bootstrapped into storage applies its initial membership through committedEntries', () => {
  const storage = new MemoryStorage();
  bootstrap(storage, [{ id: 1n, context: enc('m1') }]);
  const node = singleNode(storage);
  const rd = node.ready();
  assert.deepEqual(rd.entries, [], 'already persisted');
  assert.equal(rd.committedEntries.length, 1);
  const cc = decodeConfChange(rd.committedEntries[0]!.data);
  assert.equal(cc.nodeId, 1n);
  assert.equal(dec(cc.context), 'm1');
  assert.deepEqual(node.applyConfChange(cc), { voters: [1n], learners: [] });
  node.advance();
  for (let i = 0; i < 20 && node.status().raftState !== StateType.Leader; i++) {
    node.tick();
    drain(node, storage);
  }
  assert.equal(node.status().raftState, StateType.Leader, 'elected after its randomized election timeout');
});

test('a follower without a leader drops proposals', () => {
  const storage = new MemoryStorage();
  const node = singleNode(storage);
  node.bootstrap([{ id: 1n, context: new Uint8Array() }, { id: 2n, context: new Uint8Array() }]);
  drain(node, storage);
  assert.throws(() => node.propose(enc('x')), ErrProposalDropped);
});

test('a three-member cluster elects one leader and replicates in the same order everywhere', () => {
  const c = new SimCluster([1n, 2n, 3n], seeded(7), { dropRate: 0, reorder: false });
  for (let i = 0; i < 50 && !c.leader(); i++) c.step();
  const leader = c.leader();
  assert.ok(leader, 'a leader within 50 ticks');
  for (let i = 0; i < 10; i++) leader.node.propose(enc(`v${i}`));
  for (let i = 0; i < 5; i++) c.step();
  for (const n of c.nodes.values()) assert.deepEqual(normal(n.applied), Array.from({ length: 10 }, (_, i) => `v${i}`), `node ${n.id}`);
});

test('when the leader crashes a new one is elected and nothing committed is lost', () => {
  const c = new SimCluster([1n, 2n, 3n], seeded(11), { dropRate: 0, reorder: false });
  for (let i = 0; i < 50 && !c.leader(); i++) c.step();
  const first = c.leader()!;
  first.node.propose(enc('before'));
  for (let i = 0; i < 3; i++) c.step();
  c.crash(first.id);
  for (let i = 0; i < 60 && (!c.leader() || c.leader()!.id === first.id); i++) c.step();
  const second = c.leader()!;
  assert.notEqual(second.id, first.id);
  second.node.propose(enc('after'));
  c.restart(first.id);
  for (let i = 0; i < 10; i++) c.step();
  for (const n of c.nodes.values()) assert.deepEqual(normal(n.applied), ['before', 'after'], `node ${n.id}`);
});

test('ReadIndex on the leader answers with its commit index once a quorum confirms', () => {
  const c = new SimCluster([1n, 2n, 3n], seeded(3), { dropRate: 0, reorder: false });
  for (let i = 0; i < 50 && !c.leader(); i++) c.step();
  const leader = c.leader()!;
  leader.node.propose(enc('x'));
  for (let i = 0; i < 3; i++) c.step();
  leader.node.readIndex(enc('req-1'));
  c.processReadies();
  c.deliver();
  c.processReadies();
  c.deliver();
  const rd = leader.node.hasReady() ? leader.node.ready() : undefined;
  const rs = rd?.readStates.find((r) => dec(r.requestCtx) === 'req-1');
  assert.ok(rs, 'read state arrives');
  assert.equal(rs.index, leader.node.status().commit);
  if (rd) leader.node.advance();
});

test('leader transfer hands leadership to an up-to-date follower', () => {
  const c = new SimCluster([1n, 2n, 3n], seeded(5), { dropRate: 0, reorder: false });
  for (let i = 0; i < 50 && !c.leader(); i++) c.step();
  const leader = c.leader()!;
  const target = [...c.nodes.keys()].find((id) => id !== leader.id)!;
  leader.node.transferLeader(target);
  for (let i = 0; i < 10 && c.leader()?.id !== target; i++) c.step();
  assert.equal(c.leader()?.id, target);
});

test('a partitioned minority cannot elect a leader, and pre-vote keeps it from disrupting the majority on return', () => {
  const c = new SimCluster([1n, 2n, 3n], seeded(9), { dropRate: 0, reorder: false });
  for (let i = 0; i < 50 && !c.leader(); i++) c.step();
  const leader = c.leader()!;
  const termBefore = leader.node.status().term;
  const isolated = [...c.nodes.keys()].find((id) => id !== leader.id)!;
  c.partition([isolated]);
  for (let i = 0; i < 100; i++) c.step();
  assert.notEqual(c.nodes.get(isolated)!.node.status().raftState, StateType.Leader);
  c.heal();
  for (let i = 0; i < 20; i++) c.step();
  assert.equal(c.leader()?.id, leader.id, 'the majority leader keeps leading');
  assert.equal(c.leader()?.node.status().term, termBefore, 'no term inflation from the isolated member');
});

test('election timeouts are randomized in [electionTick, 2*electionTick) by the injected source', () => {
  for (const [r, want] of [
    [0, 10],
    [0.5, 15],
    [0.999, 19],
  ] as const) {
    const storage = new MemoryStorage();
    bootstrap(storage, [{ id: 1n, context: new Uint8Array() }, { id: 2n, context: new Uint8Array() }]);
    const node = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage, maxSizePerMsg: 1024, maxInflightMsgs: 8, checkQuorum: false, preVote: false, random: () => r });
    drain(node, storage);
    let ticks = 0;
    while (node.status().raftState === StateType.Follower && ticks < 100) {
      node.tick();
      ticks++;
    }
    assert.equal(ticks, want, `random() = ${r}`);
    assert.equal(node.status().raftState, StateType.Candidate);
  }
});

test('a restarted node given its applied index does not hand those entries out again', () => {
  const storage = new MemoryStorage();
  const node = singleNode(storage);
  node.bootstrap([{ id: 1n, context: new Uint8Array() }]);
  drain(node, storage);
  node.campaign();
  drain(node, storage);
  node.propose(enc('a'));
  node.propose(enc('b'));
  const applied = drain(node, storage);
  const aIndex = applied.find((e) => dec(e.data) === 'a')!.index;
  const restarted = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage, applied: aIndex, maxSizePerMsg: 1 << 20, maxInflightMsgs: 256, checkQuorum: true, preVote: true, random: seeded(1) });
  assert.deepEqual(normal(drain(restarted, storage)), ['b']);
});

test('Ready carries softState and hardState only when they changed, and nothing when idle', () => {
  const storage = new MemoryStorage();
  const node = singleNode(storage);
  node.bootstrap([{ id: 1n, context: new Uint8Array() }]);
  drain(node, storage);
  node.campaign();
  const rd = node.ready();
  assert.deepEqual(rd.softState, { lead: 1n, raftState: StateType.Leader });
  assert.equal(rd.hardState?.vote, 1n);
  storage.append(rd.entries);
  storage.setHardState(rd.hardState!);
  assert.equal(node.hasReady(), false, 'no second Ready before advance()');
  node.advance();
  const rd2 = node.ready();
  assert.equal(rd2.softState, undefined, 'leadership unchanged');
  assert.equal(rd2.hardState?.commit, 2, 'the empty entry of the new term commits once persisted');
  storage.setHardState(rd2.hardState!);
  node.advance();
  for (let i = 0; i < 5; i++) node.tick();
  assert.equal(node.hasReady(), false, 'a sole voter has no one to heartbeat');
});
