// HashKV: a CRC32-C of the `key` bucket's rows up to a revision, equal on every member
// with the same history whatever the state of its physical compaction.
//
// Hashed, in revision order (key bytes, then value bytes, per row): every row with
// compactRev < main <= rev, and the rows at or below compactRev that the compaction
// keeps (the keep set). Rows at or below compactRev that a physical compaction has not
// deleted yet are skipped, so a member mid-compaction hashes like one that finished.

import { crc32c } from '@node-rs/crc32';
import type { Backend } from '../storage/backend.js';
import { decodeRev, revId, revStart } from './revision.js';

/** Rows hashed between yields to the event loop. */
export const HASH_BATCH = 10_000;

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Must be called synchronously with the computation of `keep`, so both see one state. */
export async function hashKeyBucket(backend: Backend, rev: number, compactRev: number, keep: ReadonlySet<string>): Promise<number> {
  const view = backend.readView();
  try {
    let crc = crc32c(Buffer.from('key'));
    let n = 0;
    for (const { key, value } of view.iterate('key', Buffer.alloc(0), revStart(rev + 1))) {
      const r = decodeRev(key).rev;
      if (r.main <= compactRev && !keep.has(revId(r))) continue;
      crc = crc32c(value, crc32c(key, crc));
      if (++n % HASH_BATCH === 0) await yieldToLoop();
    }
    return crc >>> 0;
  } finally {
    view.done();
  }
}
