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

test('waiters past their deadline fail with the request timeout error, others keep waiting', async () => {
  const w = new WaitRegistry<string>();
  const long = w.register(1n, 60_000);
  const short = w.register(2n, 5);
  await assert.rejects(short, (err) => err === Errors.Timeout);
  assert.ok(w.isRegistered(1n));
  w.trigger(1n, 'ok');
  assert.equal(await long, 'ok');
  assert.equal(w.size, 0);
});

test('waiters with equal timeouts expire in order and a re-armed timer catches the later ones', async () => {
  const w = new WaitRegistry<string>();
  const first = w.register(1n, 5);
  const kept = w.register(2n, 5);
  const second = w.register(3n, 30);
  w.trigger(2n, 'ok');
  await assert.rejects(first, (err) => err === Errors.Timeout);
  assert.equal(await kept, 'ok');
  assert.ok(w.isRegistered(3n));
  await assert.rejects(second, (err) => err === Errors.Timeout);
  assert.equal(w.size, 0);
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
