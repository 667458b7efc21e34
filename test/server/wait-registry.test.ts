// Proposal waiters: answered by trigger/fail, or failed with etcd's timeout error once
// their deadline passes, whatever order their timeouts come in.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PENDING_PROPOSALS, WaitRegistry } from '../../src/server/wait-registry.js';
import { Errors } from '../../src/server/errors.js';

test('a triggered waiter resolves with the value and is gone', async () => {
  const w = new WaitRegistry<string, number>();
  const p = w.register(1n, 60_000, 42);
  assert.equal(w.context(1n), 42);
  w.trigger(1n, 'done');
  assert.equal(await p, 'done');
  assert.equal(w.size, 0);
  assert.equal(w.context(1n), undefined);
  // A second trigger for the same id is a no-op.
  w.trigger(1n, 'again');
});

test('waiters expire in order and the re-armed timer catches the later ones', async () => {
  // An injected clock decides who is due; the real timer only decides when to look.
  let now = 0;
  const w = new WaitRegistry<string>(() => now);
  const first = w.register(1n, 5);
  const kept = w.register(2n, 5);
  const second = w.register(3n, 10);
  w.trigger(2n, 'ok');
  now = 7;
  await assert.rejects(first, (err) => err === Errors.Timeout);
  assert.equal(await kept, 'ok');
  assert.ok(w.isRegistered(3n), 'not yet due at 7');
  now = 11;
  await assert.rejects(second, (err) => err === Errors.Timeout);
  assert.equal(w.size, 0);
});

test('a shorter timeout after a longer one still expires first', async () => {
  let now = 0;
  const w = new WaitRegistry<string>(() => now);
  const long = w.register(1n, 1_000);
  const short = w.register(2n, 3);
  now = 4;
  await assert.rejects(short, (err) => err === Errors.Timeout);
  assert.ok(w.isRegistered(1n));
  now = 1_001;
  w.trigger(1n, 'late but answered');
  assert.equal(await long, 'late but answered');
});

test('fail and failAll reject with the given error', async () => {
  const w = new WaitRegistry<string>();
  const a = w.register(1n, 60_000);
  const b = w.register(2n, 60_000);
  const c = w.register(3n, 60_000);
  w.fail(1n, Errors.LeaderChanged);
  await assert.rejects(a, (err) => err === Errors.LeaderChanged);
  w.failAll(Errors.Stopped);
  await assert.rejects(b, (err) => err === Errors.Stopped);
  await assert.rejects(c, (err) => err === Errors.Stopped);
  assert.equal(w.size, 0);
});

test('the timer left armed by a waiter that was answered still expires a later waiter', async () => {
  // With one writer at a time the registry empties after every write and keeps its timer;
  // that timer, due for a waiter long gone, must re-arm for the waiter now present.
  let now = 0;
  let reads = 0;
  const w = new WaitRegistry<string>(() => {
    reads++;
    return now;
  });
  const answered = w.register(1n, 5);
  w.trigger(1n, 'ok');
  assert.equal(await answered, 'ok');
  now = 3;
  const later = w.register(2n, 5); // due at 8; the armed timer looks at 5
  const readsAfterRegister = reads;
  // Wait (by the real clock, up to 5 s) until the timer has fired and looked at the clock.
  for (const until = Date.now() + 5_000; reads === readsAfterRegister && Date.now() < until; ) await new Promise((r) => setTimeout(r, 2));
  assert.ok(reads > readsAfterRegister, 'the timer fired');
  assert.ok(w.isRegistered(2n), 'not due at 3');
  now = 9;
  await assert.rejects(later, (err) => err === Errors.Timeout);
  assert.equal(w.size, 0);
});

/** Records what a listener heard, synchronously. */
function recorder(): { heard: string[]; resolve(v: string): void; reject(err: Error): void } {
  const heard: string[] = [];
  return { heard, resolve: (v) => heard.push(`ok ${v}`), reject: (err) => heard.push(`err ${err.message}`) };
}

test('a listener hears trigger and fail synchronously, once', () => {
  const w = new WaitRegistry<string, number>();
  const a = recorder();
  const b = recorder();
  w.registerListener(1n, 60_000, a, 7);
  w.registerListener(2n, 60_000, b);
  assert.equal(w.context(1n), 7);
  w.trigger(1n, 'applied');
  assert.deepEqual(a.heard, ['ok applied']);
  w.trigger(1n, 'again');
  assert.deepEqual(a.heard, ['ok applied']);
  w.fail(2n, Errors.LeaderChanged);
  assert.deepEqual(b.heard, [`err ${Errors.LeaderChanged.message}`]);
  assert.equal(w.size, 0);
});

test('listeners and promises share the deadline order and failAll', async () => {
  let now = 0;
  const w = new WaitRegistry<string>(() => now);
  const early = recorder();
  w.registerListener(1n, 5, early);
  const promised = w.register(2n, 5);
  const late = recorder();
  w.registerListener(3n, 60_000, late);
  now = 6;
  await assert.rejects(promised, (err) => err === Errors.Timeout);
  assert.deepEqual(early.heard, [`err ${Errors.Timeout.message}`]);
  assert.deepEqual(late.heard, []);
  w.failAll(Errors.Stopped);
  assert.deepEqual(late.heard, [`err ${Errors.Stopped.message}`]);
});

test('a full registry refuses a listener at once with too many requests', () => {
  const w = new WaitRegistry<string>();
  const quiet = { resolve: () => undefined, reject: () => undefined };
  for (let i = 0; i < MAX_PENDING_PROPOSALS; i++) w.registerListener(BigInt(i), 60_000, quiet);
  const refused = recorder();
  w.registerListener(-1n, 60_000, refused);
  assert.deepEqual(refused.heard, [`err ${Errors.TooManyRequests.message}`]);
  assert.equal(w.isRegistered(-1n), false);
  w.failAll(Errors.Stopped);
});
