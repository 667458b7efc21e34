// The recipes' small pieces: the prefix range end (clientv3's GetPrefixRangeEnd) and the
// queue that turns watch callbacks into an iterator.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncQueue } from '../../src/concurrency/async-queue.js';
import { prefixRangeEnd } from '../../src/concurrency/kv-port.js';

test('prefix range end increments the last byte below 0xff and drops the 0xff tail', () => {
  assert.deepEqual(prefixRangeEnd(Buffer.from('lk/')), Buffer.from('lk0'));
  assert.deepEqual(prefixRangeEnd(Buffer.from([0x61, 0xff, 0xff])), Buffer.from([0x62]));
  assert.deepEqual(prefixRangeEnd(Buffer.from([0xff])), Buffer.from([0]));
  assert.deepEqual(prefixRangeEnd(Buffer.alloc(0)), Buffer.from([0]));
});

test('the queue yields pushed items in order, waits for more, and ends or fails after what was queued', async () => {
  const q = new AsyncQueue<number>();
  q.push(1);
  const seen: number[] = [];
  const reading = (async () => {
    for await (const n of q) seen.push(n);
  })();
  await new Promise((r) => setImmediate(r));
  q.push(2);
  q.end();
  q.push(3);
  await reading;
  assert.deepEqual(seen, [1, 2]);

  const failing = new AsyncQueue<number>();
  failing.push(7);
  failing.fail(new Error('watch canceled'));
  const got: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const n of failing) got.push(n);
    })(),
    /watch canceled/,
  );
  assert.deepEqual(got, [7]);
});
