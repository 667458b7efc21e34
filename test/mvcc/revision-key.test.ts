// The write buffer's string key for a revision must be exactly encodeRev's bytes read as
// latin1: the buffer sorts by it and the commit writes those bytes to the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRev, revKeyString } from '../../src/mvcc/revision.js';

test('revKeyString is encodeRev read as latin1, across every byte position', () => {
  const values = [0, 1, 0x5f, 0xff, 0x100, 0xffff, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 0x1234, Number.MAX_SAFE_INTEGER];
  for (const main of values) {
    for (const sub of values) {
      const rev = { main, sub };
      const key = revKeyString(rev);
      assert.equal(key.length, 17);
      assert.equal(Buffer.from(key, 'latin1').toString('hex'), encodeRev(rev).toString('hex'), `${main}_${sub}`);
    }
  }
});
