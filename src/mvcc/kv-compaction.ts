// Physical compaction: after the index has forgotten the revisions no read can see any
// more (logical compaction, immediate), delete them from the backend's `key` bucket in
// bounded batches, yielding to the event loop between batches so applies, reads and
// commits keep flowing.
//
// What to delete is stated without the index: every stored revision with main <= rev
// that is not in the keep set. That makes the job restartable from scratch: after a
// crash the store redoes the logical compaction of the scheduled revision (which gives
// the same keep set) and scans again; rows already deleted are simply not found.
//
// Progress marks in the `meta` bucket, as etcd keeps them:
//   scheduledCompactRev  written with the compaction request (same batch as its index)
//   finishedCompactRev   written with the last batch of deletions
// On open, scheduled > finished means a physical compaction was cut short.

import { dbCompactionKeys, dbCompactionPauseMs, dbCompactionTotalMs } from '../metrics/registry.js';
import type { Backend } from '../storage/backend.js';
import { decodeRev, revId, revStart } from './revision.js';

/** Revisions examined per batch (etcd's compaction batch limit). */
export const COMPACTION_BATCH = 1000;

export const META_SCHEDULED_COMPACT = Buffer.from('scheduledCompactRev');
export const META_FINISHED_COMPACT = Buffer.from('finishedCompactRev');

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Deletes from the `key` bucket every revision <= `rev` not in `keep`, `batch` at a
 * time, then records `rev` as finished and commits.
 *
 * Example: keys a@2, a@3, b@4, b@5(tombstone), a@6; compaction at 5 keeps {3}
 * (a's value at 5); b's generation ended at 5, so it goes entirely. Deleted: 2, 4, 5t.
 */
export async function physicalCompaction(backend: Backend, rev: number, keep: ReadonlySet<string>, batch = COMPACTION_BATCH): Promise<void> {
  const end = revStart(rev + 1);
  let start = Buffer.alloc(0);
  const began = performance.now();
  let deleted = 0;
  try {
    for (;;) {
      const batchBegan = performance.now();
      const rows = backend.range('key', start, end, batch);
      for (const { key } of rows) {
        if (!keep.has(revId(decodeRev(key).rev))) {
          backend.delete('key', key);
          deleted++;
        }
      }
      if (rows.length < batch) break;
      // Resume just after the last row examined (the smallest key greater than it).
      start = Buffer.concat([rows[rows.length - 1]!.key, Buffer.of(0)]);
      // The pause a batch imposes on the store: as etcd, every batch but the last.
      dbCompactionPauseMs.observe(Math.floor(performance.now() - batchBegan));
      await yieldToLoop();
    }
    backend.put('meta', META_FINISHED_COMPACT, revStart(rev));
    await backend.forceCommit();
  } finally {
    dbCompactionKeys.inc(deleted);
    dbCompactionTotalMs.observe(Math.floor(performance.now() - began));
  }
}
