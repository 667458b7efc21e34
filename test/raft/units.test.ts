// Table tests for the raft core's pure building blocks: quorum arithmetic, the inflights
// window, progress flow control, the log's conflict search, MemoryStorage, the conf
// change codec (with golden bytes) and the ReadIndex queue.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VoteResult, committedIndex, voteResult } from '../../src/raft/quorum.js';
import { Inflights } from '../../src/raft/tracker/inflights.js';
import { Progress, ProgressState } from '../../src/raft/tracker/progress.js';
import { RaftLog } from '../../src/raft/log.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { ErrCompacted, ErrSnapOutOfDate, ErrUnavailable } from '../../src/raft/errors.js';
import { decodeConfChange, encodeConfChange } from '../../src/raft/confchange-codec.js';
import { ReadOnly } from '../../src/raft/read-only.js';
import { newMessage } from '../../src/raft/raft.js';
import { ConfChangeType, EntryType, MessageType, type Entry, type NodeId } from '../../src/raft/types.js';

const ent = (index: number, term: number, data = ''): Entry => ({ index, term, type: EntryType.Normal, data: new TextEncoder().encode(data) });
const ids = (...xs: number[]): NodeId[] => xs.map((x) => BigInt(x));

test('committedIndex is the highest index acknowledged by a majority of voters', () => {
  const cases: { acked: number[]; want: number }[] = [
    { acked: [], want: 0 },
    { acked: [5], want: 5 },
    { acked: [5, 3], want: 3 },
    { acked: [5, 3, 1], want: 3 },
    { acked: [9, 7, 7, 5, 2], want: 7 },
    { acked: [9, 8, 1, 1], want: 1 },
  ];
  for (const c of cases) {
    const voters = c.acked.map((_, i) => BigInt(i + 1));
    assert.equal(committedIndex(voters, (id) => c.acked[Number(id) - 1]), c.want, JSON.stringify(c));
  }
  assert.equal(committedIndex(ids(1, 2, 3), (id) => (id === 1n ? 10 : undefined)), 0, 'missing acks count as 0');
});

test('voteResult: won with a majority of yes, lost once a majority is out of reach', () => {
  const v = (entries: [number, boolean][]) => new Map(entries.map(([id, g]) => [BigInt(id), g] as [NodeId, boolean]));
  assert.equal(voteResult([], v([])), VoteResult.Won);
  assert.equal(voteResult(ids(1), v([[1, true]])), VoteResult.Won);
  assert.equal(voteResult(ids(1, 2, 3), v([[1, true]])), VoteResult.Pending);
  assert.equal(voteResult(ids(1, 2, 3), v([[1, true], [2, true]])), VoteResult.Won);
  assert.equal(voteResult(ids(1, 2, 3), v([[1, true], [2, false]])), VoteResult.Pending);
  assert.equal(voteResult(ids(1, 2, 3), v([[2, false], [3, false]])), VoteResult.Lost);
  assert.equal(voteResult(ids(1, 2, 3, 4), v([[1, true], [2, true], [3, false]])), VoteResult.Pending);
  assert.equal(voteResult(ids(1, 2, 3, 4), v([[1, true], [2, false], [3, false]])), VoteResult.Lost);
  assert.equal(voteResult(ids(1, 2, 3), v([[1, true], [9, true]])), VoteResult.Pending, 'non-voters do not count');
});

test('inflights: bounded by count and bytes, freed up to an acknowledged index, wraps around', () => {
  const w = new Inflights(3);
  w.add(1, 10);
  w.add(2, 10);
  w.add(3, 10);
  assert.equal(w.full(), true);
  assert.throws(() => w.add(4, 10));
  w.freeLE(2);
  assert.equal(w.count(), 1);
  w.add(4, 10);
  w.add(5, 10);
  assert.equal(w.full(), true);
  w.freeLE(4);
  assert.deepEqual([w.count(), w.bytes()], [1, 10]);
  w.freeLE(100);
  assert.deepEqual([w.count(), w.bytes()], [0, 0]);
  const b = new Inflights(10, 100);
  b.add(1, 60);
  assert.equal(b.full(), false);
  b.add(2, 60);
  assert.equal(b.full(), true, 'bytes bound');
  assert.deepEqual(b.clone().bytes(), 120);
});

test('progress: rejections are ignored when stale and back off to the hint otherwise', () => {
  // Replicate: a rejection at or below match is stale; otherwise next falls back to match+1.
  const r = new Progress(10, 8, false);
  r.match = 5;
  r.becomeReplicate();
  assert.equal(r.maybeDecrTo(4, 4), false);
  assert.equal(r.maybeDecrTo(9, 9), true);
  assert.equal(r.next, 6);
  // Probe: only the answer to the latest probe (at next-1) counts; next goes to the hint+1.
  const p = new Progress(10, 8, false);
  assert.equal(p.maybeDecrTo(5, 3), false, 'not the outstanding probe');
  assert.equal(p.maybeDecrTo(9, 3), true);
  assert.equal(p.next, 4);
  assert.equal(p.maybeDecrTo(3, 100), true);
  assert.equal(p.next, 3, 'never forward past the rejected index');
  p.match = 2;
  p.next = 6;
  assert.equal(p.maybeDecrTo(5, 0), true);
  assert.equal(p.next, 3, 'never below match+1');
  // Probe pauses after each send; replicate pauses only when the window is full.
  const q = new Progress(1, 2, false);
  q.sentEntries(1, 10);
  assert.equal(q.isPaused(), true);
  assert.equal(q.maybeUpdate(1), true);
  q.becomeReplicate();
  q.sentEntries(1, 10);
  assert.equal(q.isPaused(), false);
  q.sentEntries(1, 10);
  assert.equal(q.isPaused(), true);
  assert.equal(q.state, ProgressState.Replicate);
  q.becomeSnapshot(50);
  assert.equal(q.isPaused(), true);
  q.becomeProbe();
  assert.equal(q.next, 51, 'after a snapshot, probe right after it');
});

test('findConflictByTerm returns the last index at or below the given one with term <= the given term', () => {
  const st = new MemoryStorage();
  st.append([ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 2), ent(5, 4), ent(6, 4)]);
  const log = new RaftLog(st, 1 << 20);
  const cases: [number, number, number, number][] = [
    // index, term -> want index, want term
    [6, 4, 6, 4],
    [6, 3, 4, 2],
    [6, 2, 4, 2],
    [6, 1, 2, 1],
    [6, 0, 0, 0],
    [3, 5, 3, 2],
    [10, 4, 10, 0],
  ];
  for (const [i, t, wi, wt] of cases) assert.deepEqual(log.findConflictByTerm(i, t), { index: wi, term: wt }, `${i}/${t}`);
});

test('maybeAppend appends after a matching entry, truncates conflicts, and refuses a mismatch', () => {
  const st = new MemoryStorage();
  st.append([ent(1, 1), ent(2, 2), ent(3, 2)]);
  const log = new RaftLog(st, 1 << 20);
  assert.equal(log.maybeAppend(3, 1, 3, [ent(4, 3)]), undefined, 'previous term mismatch');
  assert.equal(log.maybeAppend(1, 1, 2, [ent(2, 3), ent(3, 3)]), 3);
  assert.deepEqual(log.slice(1, 4, 1 << 20).map((e) => e.term), [1, 3, 3]);
  assert.equal(log.committed, 2);
  assert.throws(() => log.maybeAppend(0, 0, 2, [ent(1, 9)]), /conflicts with committed entry/);
  assert.equal(log.maybeAppend(2, 3, 3, [ent(3, 3)]), 3, 'an already present entry is not rewritten');
  assert.deepEqual(log.unstableEntries().map((e) => e.index), [2, 3]);
});

test('MemoryStorage: entries, terms, compaction and snapshots report their limits with the named errors', () => {
  const st = new MemoryStorage();
  st.append([ent(1, 1, 'a'), ent(2, 1, 'b'), ent(3, 2, 'c'), ent(4, 2, 'd')]);
  assert.deepEqual([st.firstIndex(), st.lastIndex()], [1, 4]);
  assert.deepEqual(st.entries(2, 4, 1 << 20).map((e) => e.index), [2, 3]);
  assert.deepEqual(st.entries(2, 5, 1).map((e) => e.index), [2], 'size-limited, at least one');
  assert.throws(() => st.entries(3, 6, 100), ErrUnavailable);
  st.createSnapshot(2, { voters: ids(1), learners: [] }, new Uint8Array([7]));
  st.compact(2);
  assert.deepEqual([st.firstIndex(), st.lastIndex(), st.term(2)], [3, 4, 1]);
  assert.throws(() => st.entries(2, 4, 100), ErrCompacted);
  assert.throws(() => st.term(1), ErrCompacted);
  assert.throws(() => st.term(5), ErrUnavailable);
  assert.throws(() => st.compact(2), ErrCompacted);
  assert.throws(() => st.createSnapshot(2, { voters: [], learners: [] }, new Uint8Array()), ErrSnapOutOfDate);
  // Appending over a conflicting suffix replaces it.
  st.append([ent(4, 3, 'x'), ent(5, 3, 'y')]);
  assert.deepEqual(st.entries(3, 6, 1 << 20).map((e) => `${e.term}/${e.index}`), ['2/3', '3/4', '3/5']);
  // A shorter conflicting suffix drops the old entries after it too.
  st.append([ent(4, 5, 'z')]);
  assert.equal(st.lastIndex(), 4);
  assert.deepEqual(st.entries(3, 5, 1 << 20).map((e) => `${e.term}/${e.index}`), ['2/3', '5/4']);
  // A plain append after the last entry extends the log.
  st.append([ent(5, 5, 'w')]);
  assert.deepEqual(st.entries(3, 6, 1 << 20).map((e) => `${e.term}/${e.index}`), ['2/3', '5/4', '5/5']);
  // Entries entirely before the first index are ignored; a gap is an error.
  st.append([ent(1, 1)]);
  assert.throws(() => st.append([ent(9, 3)]), /missing log entry/);
  st.applySnapshot({ data: new Uint8Array(), metadata: { index: 10, term: 4, confState: { voters: ids(1, 2), learners: [] } } });
  assert.deepEqual([st.firstIndex(), st.lastIndex(), st.term(10)], [11, 10, 4]);
  assert.deepEqual(st.initialState().confState.voters, ids(1, 2));
});

test('conf change codec: golden bytes and round trip of 64-bit ids', () => {
  const cc = { type: ConfChangeType.AddLearnerNode, nodeId: 0x8e9e05c52164694dn, context: new TextEncoder().encode('ctx'), id: 42n };
  const bytes = encodeConfChange(cc);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  assert.equal(hex, '03' + '8e9e05c52164694d' + '000000000000002a' + '637478');
  assert.deepEqual(decodeConfChange(bytes), cc);
  assert.throws(() => decodeConfChange(new Uint8Array(5)), /too short/);
  // Decoding a view into a larger buffer must respect its offset.
  const padded = new Uint8Array(bytes.length + 4);
  padded.set(bytes, 4);
  assert.deepEqual(decodeConfChange(padded.subarray(4)), cc);
});

test('ReadOnly: an acknowledgement for a later read confirms the earlier ones, in order', () => {
  const ro = new ReadOnly();
  const req = (ctx: string) => newMessage({ type: MessageType.ReadIndex, entries: [ent(0, 0, ctx)] });
  assert.equal(ro.addRequest(5, req('a')), true);
  assert.equal(ro.addRequest(6, req('b')), true);
  assert.equal(ro.addRequest(6, req('b')), false, 'duplicate context');
  assert.deepEqual([...ro.recvAck(2n, new TextEncoder().encode('b'))!], [2n]);
  assert.equal(ro.recvAck(2n, new TextEncoder().encode('zz')), undefined);
  const done = ro.advance(new TextEncoder().encode('b'));
  assert.deepEqual(done.map((d) => d.index), [5, 6]);
  assert.equal(ro.size(), 0);
  assert.equal(ro.lastPendingRequestCtx(), undefined);
});
