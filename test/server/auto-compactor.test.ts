// The auto-compactor on a fake clock: when it compacts, to which revision, what it logs,
// and that it stays quiet while paused (a follower) or when nothing changed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newAutoCompactor, parseCompactionRetention, type CompactorClock, type CompactorHost } from '../../src/server/auto-compactor.js';
import { Errors } from '../../src/server/errors.js';
import { parseGoDuration } from '../../src/pkg/go-strconv.js';

class FakeClock implements CompactorClock {
  private t = 0;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return () => (timer.live = false);
  }

  /** Moves time forward, firing due timers in order and letting their async work settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      this.t = due.at;
      due.fn();
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    }
    this.t = end;
  }
}

interface FakeHost extends CompactorHost {
  revision: number;
  compactions: number[];
  logs: string[];
  failWith?: unknown;
}

function fakeHost(): FakeHost {
  const h: FakeHost = {
    revision: 1,
    compactions: [],
    logs: [],
    rev: () => h.revision,
    compact: async (rev) => {
      if (h.failWith) throw h.failWith;
      h.compactions.push(rev);
    },
    info: (msg, f) => h.logs.push(`${msg} ${JSON.stringify(f)}`),
    warn: (msg, f) => h.logs.push(`WARN ${msg} ${JSON.stringify(f)}`),
  };
  return h;
}

const MIN = 60_000;
const HOUR = 60 * MIN;

test('periodic: the first compaction waits a whole period and keeps a period of history', async () => {
  const clock = new FakeClock();
  const host = fakeHost();
  const c = newAutoCompactor('periodic', parseCompactionRetention('periodic', '10m', parseGoDuration), clock, host)!;
  c.run();
  // One revision per minute; samples are taken every minute (period/10).
  for (let minute = 1; minute <= 9; minute++) {
    host.revision = 100 + minute;
    await clock.advance(MIN);
  }
  assert.deepEqual(host.compactions, [], 'nothing before a period has passed');
  host.revision = 110;
  await clock.advance(MIN);
  // At 10 minutes, the oldest sample is the revision of 10 minutes ago (taken at start: 1).
  assert.deepEqual(host.compactions, [1]);
  assert.match(host.logs[0]!, /^starting auto periodic compaction \{"revision":1,"compact-period":"10m0s"\}$/);
  assert.match(host.logs[1]!, /^completed auto periodic compaction \{"revision":1,"compact-period":"10m0s","took":"0s"\}$/);
  for (let minute = 11; minute <= 20; minute++) {
    host.revision = 100 + minute;
    await clock.advance(MIN);
  }
  // Every compact interval (the period, here 10 min) to the revision of a period before.
  assert.deepEqual(host.compactions, [1, 110]);
  c.stop();
});

test('periodic: a plain number is hours, a long period samples every 6 minutes and compacts hourly', async () => {
  assert.equal(parseCompactionRetention('periodic', '5', parseGoDuration), 5 * HOUR);
  const clock = new FakeClock();
  const host = fakeHost();
  const c = newAutoCompactor('periodic', 5 * HOUR, clock, host)!;
  c.run();
  for (let step = 1; step <= 50; step++) {
    host.revision = 1000 + step;
    await clock.advance(6 * MIN);
  }
  assert.deepEqual(host.compactions, [1], 'after 5 h: the revision of 5 h ago');
  for (let step = 51; step <= 60; step++) {
    host.revision = 1000 + step;
    await clock.advance(6 * MIN);
  }
  // One hour later: the sample of 5 h before (taken at 1 h).
  assert.deepEqual(host.compactions, [1, 1010]);
  c.stop();
});

test('paused (not the leader) it never compacts; resumed it does', async () => {
  const clock = new FakeClock();
  const host = fakeHost();
  const c = newAutoCompactor('revision', parseCompactionRetention('revision', '10', parseGoDuration), clock, host)!;
  c.pause();
  c.run();
  host.revision = 50;
  await clock.advance(30 * MIN);
  assert.deepEqual(host.compactions, []);
  c.resume();
  await clock.advance(5 * MIN);
  assert.deepEqual(host.compactions, [40]);
  c.stop();
});

test('revision: every 5 minutes to current - retention, skipping repeats; ErrCompacted counts as done, other errors retry', async () => {
  const clock = new FakeClock();
  const host = fakeHost();
  const c = newAutoCompactor('revision', 10, clock, host)!;
  c.run();
  host.revision = 5;
  await clock.advance(5 * MIN);
  assert.deepEqual(host.compactions, [], 'current - retention <= 0: nothing to do');
  host.revision = 25;
  await clock.advance(5 * MIN);
  assert.deepEqual(host.compactions, [15]);
  assert.deepEqual(host.logs.slice(0, 1), ['starting auto revision compaction {"revision":15,"revision-compaction-retention":10}']);
  await clock.advance(5 * MIN);
  assert.deepEqual(host.compactions, [15], 'same target: not again');
  host.revision = 40;
  host.failWith = Errors.NoLeader;
  await clock.advance(5 * MIN);
  assert.match(host.logs.at(-1)!, /^WARN failed auto revision compaction .*"retry-interval":"5m0s","error":"etcdserver: no leader"/);
  host.failWith = undefined;
  await clock.advance(5 * MIN);
  assert.deepEqual(host.compactions, [15, 30], 'retried after a failure');
  host.revision = 50;
  host.failWith = Errors.Compacted;
  await clock.advance(5 * MIN);
  assert.match(host.logs.at(-1)!, /^completed auto revision compaction \{"revision":40/);
  host.failWith = undefined;
  await clock.advance(5 * MIN);
  assert.deepEqual(host.compactions, [15, 30], 'ErrCompacted counted as done: 40 is not tried again');
  c.stop();
  host.revision = 100;
  await clock.advance(60 * MIN);
  assert.deepEqual(host.compactions, [15, 30], 'stopped');
});

test('retention 0 disables auto-compaction; bad retentions fail as etcd', () => {
  assert.equal(newAutoCompactor('periodic', parseCompactionRetention('periodic', '0', parseGoDuration), new FakeClock(), fakeHost()), undefined);
  assert.throws(() => parseCompactionRetention('periodic', 'abc', parseGoDuration), /^Error: error parsing CompactionRetention: time: invalid duration "abc"$/);
  assert.equal(parseCompactionRetention('periodic', '90s', parseGoDuration), 90_000);
});
