// What a snapshot transfer needs from the backend: a copy whose inspected values come
// from exactly the copied state (writes made meanwhile are not in either), and replacing
// the whole backend with a received file in place, readers switching to it at once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Backend } from '../../src/storage/backend.js';

const b = (s: string): Buffer => Buffer.from(s);
const NO_TIMER = { batchIntervalMs: 3_600_000 };

test('a copy for a snapshot and the values inspected with it describe one state; another backend can be replaced by it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'backend-replace-'));
  try {
    const leader = Backend.open(join(dir, 'leader.db'), NO_TIMER);
    leader.put('meta', b('consistent_index'), b('7'));
    leader.put('key', b('a'), b('1'));
    const copying = leader.inspectedCopy((read) => read.get('meta', b('consistent_index'))?.toString());
    // Written while the copy is being made: in neither the copy nor what was inspected.
    leader.put('meta', b('consistent_index'), b('8'));
    leader.put('key', b('b'), b('2'));
    const copy = await copying;
    assert.equal(copy.inspected, '7');
    const received = join(dir, 'follower-snap', '0000000000000007.snap.db');
    mkdirSync(join(dir, 'follower-snap'));
    await pipeline(copy.stream, createWriteStream(received));
    assert.equal(leader.get('key', b('b'))?.toString(), '2', 'the leader itself keeps its later writes');

    const followerPath = join(dir, 'follower-snap', 'db');
    const follower = Backend.open(followerPath, NO_TIMER);
    follower.put('key', b('old'), b('x'));
    const view = follower.readView();
    await follower.replaceWith(received);
    assert.equal(follower.get('key', b('a'))?.toString(), '1');
    assert.equal(follower.get('key', b('b')), undefined);
    assert.equal(follower.get('key', b('old')), undefined, 'nothing of the old state is left');
    assert.equal(follower.get('meta', b('consistent_index'))?.toString(), '7');
    assert.equal(view.get('key', b('old'))?.toString(), 'x', 'a view opened before keeps its state');
    view.done();
    assert.ok(!existsSync(received), 'the received file was moved into place');
    assert.deepEqual(readdirSync(join(dir, 'follower-snap')).sort(), ['db', 'db-lock']);
    follower.put('key', b('c'), b('3'));
    await follower.close();
    const reopened = Backend.open(followerPath, NO_TIMER);
    assert.equal(reopened.get('key', b('a'))?.toString(), '1');
    assert.equal(reopened.get('key', b('c'))?.toString(), '3', 'writes after the swap reach the new file');
    await reopened.close();
    await leader.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
