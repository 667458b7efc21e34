// Proposal waiters: answered by trigger/fail, or failed with etcd's timeout error once
// their deadline passes, whatever order their timeouts come in.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WaitRegistry } from '../../src/server/wait-registry.js';
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
