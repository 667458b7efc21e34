// The corruption checks' rules with hand-made peer answers: when the initial check lets a
// member start or stops it, when the leader's periodic check raises the CORRUPT alarm,
// what each logs (etcd's messages), and the monitor's schedule on fake timers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CorruptionMonitor,
  initialCorruptCheck,
  periodicCorruptCheck,
  type CheckScheduler,
  type CorruptionHost,
  type KvHash,
  type PeerHash,
} from '../../src/server/corruption-check.js';
import { collectPeerHashes, decodeHashKVResponse, encodeHashKVResponse } from '../../src/embed/peer-hashkv.js';

const SELF = 0x8e9e05c52164694dn;
const PEER_A = 0x91bc3c398fb3c146n;
const PEER_B = 0xfd422379fda50e48n;

interface Line {
  level: 'info' | 'warn';
  msg: string;
  fields: Record<string, unknown>;
}

class FakeHost implements CorruptionHost {
  memberId = SELF;
  requestTimeoutMs = 7000;
  lines: Line[] = [];
  alarms: bigint[] = [];
  askedRevisions: number[] = [];
  /** Successive answers of localHash (the last one repeats). */
  hashes: KvHash[];
  private calls = 0;
  readFails = false;

  constructor(
    hashes: KvHash | KvHash[],
    private readonly peers: PeerHash[],
  ) {
    this.hashes = Array.isArray(hashes) ? hashes : [hashes];
  }

  log = {
    info: (msg: string, fields: Record<string, unknown> = {}) => this.lines.push({ level: 'info', msg, fields }),
    warn: (msg: string, fields: Record<string, unknown> = {}) => this.lines.push({ level: 'warn', msg, fields }),
  };

  localHash(): Promise<KvHash> {
    const h = this.hashes[Math.min(this.calls++, this.hashes.length - 1)]!;
    return Promise.resolve(h);
  }

  peerHashes(rev: number): Promise<PeerHash[]> {
    this.askedRevisions.push(rev);
    return Promise.resolve(this.peers);
  }

  linearizableReadNotify(): Promise<void> {
    return this.readFails ? Promise.reject(new Error('etcdserver: request timed out')) : Promise.resolve();
  }

  triggerCorruptAlarm(id: bigint): void {
    this.alarms.push(id);
  }

  messages(level?: 'info' | 'warn'): string[] {
    return this.lines.filter((l) => level === undefined || l.level === level).map((l) => l.msg);
  }
}

const h = (revision: number, hash: number, compactRevision = -1): KvHash => ({ revision, hash, compactRevision });
const ok = (id: bigint, resp: KvHash): PeerHash => ({ id, endpoints: [`http://127.0.0.1:${Number(id % 1000n)}`], resp });

test('initial check: the same hash everywhere lets the member start', async () => {
  const host = new FakeHost(h(10, 111), [ok(PEER_A, h(10, 111)), ok(PEER_B, h(10, 111))]);
  await initialCorruptCheck(host);
  assert.deepEqual(host.askedRevisions, [10]);
  assert.deepEqual(host.messages(), ['starting initial corruption check', 'initial corruption checking passed; no corruption']);
  assert.deepEqual(host.lines[0]!.fields, { 'local-member-id': '8e9e05c52164694d', timeout: '7s' });
});

test('initial check: another hash at the same compact revision stops the start with etcd\'s error', async () => {
  const host = new FakeHost(h(10, 111, 4), [ok(PEER_A, h(10, 111, 4)), ok(PEER_B, h(10, 222, 4))]);
  await assert.rejects(initialCorruptCheck(host), { message: '8e9e05c52164694d found data inconsistency with peers' });
  const warn = host.lines.find((l) => l.msg === 'found different hash values from remote peer');
  assert.ok(warn);
  assert.equal(warn.fields['remote-peer-id'], 'fd422379fda50e48');
  assert.equal(warn.fields['local-member-hash'], 111);
  assert.equal(warn.fields['remote-peer-hash'], 222);
  assert.equal(warn.fields['local-member-compact-revision'], 4);
  assert.ok(!host.messages().includes('initial corruption checking passed; no corruption'));
});

test('initial check: another hash over another compaction is only warned about', async () => {
  const host = new FakeHost(h(10, 111, 4), [ok(PEER_A, h(10, 333, 7))]);
  await initialCorruptCheck(host);
  assert.deepEqual(host.messages('warn'), ['found different compact revision values from remote peer']);
  assert.equal(host.messages().at(-1), 'initial corruption checking passed; no corruption');
});

test('initial check: peers that cannot answer are skipped with etcd\'s warnings', async () => {
  const err = (id: bigint, kind: NonNullable<PeerHash['err']>['kind']): PeerHash => ({ id, endpoints: ['http://x'], err: { kind, message: kind } });
  const host = new FakeHost(h(10, 111), [err(PEER_A, 'future-rev'), err(PEER_B, 'compacted'), err(3n, 'cluster-id-mismatch'), err(4n, 'other')]);
  await initialCorruptCheck(host);
  assert.deepEqual(host.messages('warn'), ['cannot fetch hash from slow remote peer', 'cannot fetch hash from remote peer; local member is behind', 'cluster ID mismatch']);
  assert.equal(host.messages().at(-1), 'initial corruption checking passed; no corruption');
});

test('initial check: a local hash that fails stops the start', async () => {
  const host = new FakeHost(h(1, 1), []);
  host.localHash = () => Promise.reject(new Error('boom'));
  await assert.rejects(initialCorruptCheck(host), { message: '8e9e05c52164694d failed to fetch hash (boom)' });
});

test('periodic check: consistent followers raise nothing; peers without an answer are not counted', async () => {
  const host = new FakeHost(h(20, 555), [ok(PEER_A, h(20, 555)), { id: PEER_B, endpoints: [], err: { kind: 'other', message: 'down' } }]);
  await periodicCorruptCheck(host);
  assert.deepEqual(host.alarms, []);
  assert.deepEqual(host.lines, [{ level: 'info', msg: 'finished peer corruption check', fields: { 'number-of-peers-checked': 1 } }]);
});

test('periodic check: a follower with another hash at the same compact revision raises CORRUPT (member 0, as etcd 3.4.23)', async () => {
  const host = new FakeHost(h(20, 555), [ok(PEER_A, h(20, 555)), ok(PEER_B, h(20, 666))]);
  await periodicCorruptCheck(host);
  assert.deepEqual(host.alarms, [0n]);
  const warn = host.lines.find((l) => l.msg === 'same compact revision then hashes must match');
  assert.deepEqual(warn?.fields, { 'leader-compact-revision': -1, 'leader-hash': 555, 'follower-compact-revision': -1, 'follower-hash': 666, 'follower-peer-id': 'fd422379fda50e48' });
});

test('periodic check: a follower ahead of the leader, or compacted further, raises CORRUPT once per round', async () => {
  // Ahead in revision and in compaction, with another hash: three rules fire, one alarm.
  const host = new FakeHost(h(20, 555, 5), [ok(PEER_A, h(21, 777, 9))]);
  await periodicCorruptCheck(host);
  assert.deepEqual(host.messages('warn'), ["revision from follower must be less than or equal to leader's", "compact revision from follower must be less than or equal to leader's"]);
  assert.deepEqual(host.alarms, [0n]);
  assert.deepEqual(host.lines[0]!.fields, { 'leader-revision': 20, 'follower-revision': 21, 'follower-peer-id': '91bc3c398fb3c146' });
});

test('periodic check: a follower hashed over another compaction is not compared', async () => {
  const host = new FakeHost(h(20, 555, 5), [ok(PEER_A, h(20, 999, 3))]);
  await periodicCorruptCheck(host);
  assert.deepEqual(host.alarms, []);
});

test('periodic check: the leader\'s own hash changing at the same revision raises CORRUPT', async () => {
  const host = new FakeHost([h(20, 555), h(20, 556)], [ok(PEER_A, h(20, 555))]);
  await periodicCorruptCheck(host);
  assert.deepEqual(host.alarms, [0n]);
  assert.deepEqual(host.lines[0], {
    level: 'warn',
    msg: 'found hash mismatch',
    fields: { 'revision-1': 20, 'compact-revision-1': -1, 'hash-1': 555, 'revision-2': 20, 'compact-revision-2': -1, 'hash-2': 556 },
  });
});

test('periodic check: the leader moving on between its two hashes is no mismatch', async () => {
  // Writes applied between the two hashes: revision 20 -> 22; followers answered for 20.
  const host = new FakeHost([h(20, 555), h(22, 888)], [ok(PEER_A, h(20, 555)), ok(PEER_B, h(20, 555))]);
  await periodicCorruptCheck(host);
  assert.deepEqual(host.alarms, []);
  assert.deepEqual(host.askedRevisions, [20]);
});

test('periodic check: a failed linearizable read ends the round without a verdict', async () => {
  const host = new FakeHost(h(20, 555), [ok(PEER_B, h(20, 666))]);
  host.readFails = true;
  await assert.rejects(periodicCorruptCheck(host), { message: 'etcdserver: request timed out' });
  assert.deepEqual(host.alarms, []);
});

class FakeScheduler implements CheckScheduler {
  pending: { fn: () => void; ms: number; live: boolean }[] = [];
  setTimeout(fn: () => void, ms: number): unknown {
    const t = { fn, ms, live: true };
    this.pending.push(t);
    return t;
  }
  clearTimeout(handle: unknown): void {
    (handle as { live: boolean }).live = false;
  }
  /** Fires the one live timer and lets the round it starts finish. */
  async fire(): Promise<void> {
    const live = this.pending.filter((t) => t.live);
    assert.equal(live.length, 1, 'exactly one timer is armed');
    live[0]!.live = false;
    live[0]!.fn();
    for (let i = 0; i < 20; i++) await Promise.resolve();
  }
}

test('monitor: only the leader checks, every period, and a failing round is logged and retried', async () => {
  const sched = new FakeScheduler();
  const host = new FakeHost(h(20, 555), [ok(PEER_B, h(20, 666))]);
  let leader = false;
  const m = new CorruptionMonitor(host, { intervalMs: 1000, isLeader: () => leader, scheduler: sched });
  m.start();
  assert.deepEqual(host.lines[0], { level: 'info', msg: 'enabled corruption checking', fields: { 'local-member-id': '8e9e05c52164694d', interval: '1s' } });
  assert.equal(sched.pending[0]!.ms, 1000);
  await sched.fire();
  assert.deepEqual(host.askedRevisions, [], 'a follower does not check');
  leader = true;
  host.readFails = true;
  await sched.fire();
  assert.equal(host.messages().at(-1), 'failed to check hash KV');
  assert.deepEqual(host.alarms, []);
  host.readFails = false;
  await sched.fire();
  assert.deepEqual(host.alarms, [0n]);
  await m.stop();
  assert.equal(sched.pending.filter((t) => t.live).length, 0, 'stop disarms the timer');
});

test('peer hashkv wire format is etcd\'s (Go encoding/json of the protobuf structs)', () => {
  assert.equal(encodeHashKVResponse(h(5, 1084519789)), '{"header":{"revision":5},"hash":1084519789,"compact_revision":-1}');
  assert.equal(encodeHashKVResponse({ revision: 9, hash: 0, compactRevision: 0 }), '{"header":{"revision":9}}');
  assert.deepEqual(decodeHashKVResponse('{"header":{"revision":7},"hash":42,"compact_revision":3}'), h(7, 42, 3));
  assert.deepEqual(decodeHashKVResponse('{"header":{"revision":7}}'), { revision: 7, hash: 0, compactRevision: 0 });
});

test('collecting peer hashes: each URL in turn, failures logged, self and URL-less members skipped', async () => {
  const lines: string[] = [];
  const log = { info: () => undefined, warn: (msg: string, f?: Record<string, unknown>) => lines.push(`${msg} ${String(f?.['remote-peer-endpoint'])}`) };
  const res = await collectPeerHashes({
    members: [
      { id: SELF, peerURLs: ['http://self'] },
      { id: PEER_A, peerURLs: ['http://a1', 'http://a2'] },
      { id: PEER_B, peerURLs: ['http://b1'] },
      { id: 7n, peerURLs: [] },
    ],
    self: SELF,
    rev: 12,
    clusterId: 1n,
    tls: undefined,
    timeoutMs: 100,
    log,
    fetch: (url, rev) => (url === 'http://a2' ? Promise.resolve(h(rev, 9)) : Promise.reject(new Error(`down ${url}`))),
  });
  assert.deepEqual(res.map((p) => [p.id, p.resp?.hash, p.err?.message]), [
    [PEER_A, 9, undefined],
    [PEER_B, undefined, 'down http://b1'],
  ]);
  assert.deepEqual(lines.sort(), ['failed hash kv request http://a1', 'failed hash kv request http://b1']);
});
