// HashKV: a CRC32-C of the `key` bucket's rows up to a revision, computed exactly as
// etcd 3.4 computes it, so that `etcdctl endpoint hashkv` gives the same number against
// etcd-ts and etcd for the same history (the row keys and values are byte-identical:
// see revision.ts and kv-codec.ts).
//
// Hashed: the bucket name "key", then, in revision order, each row's key bytes and value
// bytes for every row with main revision <= rev, except rows at or below the compaction
// revision that are not in `keep` -- the revisions a compaction at `rev` would keep.
// etcd's quirk is kept too: when `keep` is empty nothing is skipped, so rows a physical
// compaction has not deleted yet are then hashed.

import { crc32c } from '@node-rs/crc32';
import type { Backend } from '../storage/backend.js';
import { decodeRev, revId, revStart } from './revision.js';

/** Rows hashed between yields to the event loop. */
export const HASH_BATCH = 10_000;

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * `keep` is the index's keep set at `rev`; it must be computed synchronously with the
 * start of this call, so both see one state.
 */
export async function hashKeyBucket(backend: Backend, rev: number, compactRev: number, keep: ReadonlySet<string>): Promise<number> {
  const view = backend.readView();
  try {
    let crc = crc32c(Buffer.from('key'));
    let n = 0;
    for (const { key, value } of view.iterate('key', Buffer.alloc(0), revStart(rev + 1))) {
      const r = decodeRev(key).rev;
      if (r.main <= compactRev && keep.size > 0 && !keep.has(revId(r))) continue;
      crc = crc32c(value, crc32c(key, crc));
      if (++n % HASH_BATCH === 0) await yieldToLoop();
    }
    return crc >>> 0;
  } finally {
    view.done();
  }
}
