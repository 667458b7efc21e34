// Reads past changes back out of the backend's key bucket, for watchers that start in
// the past or fell behind: rows are keyed by revision, so one ordered scan yields the
// events of a revision range in the order they happened.

import type { Backend } from '../storage/backend.js';
import { decodeKeyValue } from './kv-codec.js';
import { decodeRev, revStart } from './revision.js';
import { EventType, type StoreEvent } from './types.js';

export interface HistoryBatch {
  events: { event: StoreEvent; rev: number }[];
  /** The last revision fully covered by `events`; the next read starts after it. */
  throughRev: number;
}

/**
 * Events of revisions [from, to], at most about `maxRows` rows; a batch never ends in
 * the middle of a revision unless that one revision alone exceeds the limit.
 */
export function readHistory(backend: Backend, from: number, to: number, maxRows: number): HistoryBatch {
  if (from > to) return { events: [], throughRev: to };
  const rows = backend.range('key', revStart(from), revStart(to + 1), maxRows + 1);
  let throughRev = to;
  if (rows.length > maxRows) {
    const lastMain = decodeRev(rows[maxRows]!.key).rev.main;
    const firstMain = decodeRev(rows[0]!.key).rev.main;
    // Stop before the revision the limit cut into, so none is delivered in part.
    throughRev = lastMain > firstMain ? lastMain - 1 : lastMain;
  }
  const events: HistoryBatch['events'] = [];
  for (const row of rows) {
    const { rev, tombstone } = decodeRev(row.key);
    if (rev.main > throughRev) break;
    const kv = decodeKeyValue(row.value);
    if (tombstone) {
      events.push({ rev: rev.main, event: { type: EventType.Delete, kv: { ...kv, modRevision: rev.main } } });
    } else {
      events.push({ rev: rev.main, event: { type: EventType.Put, kv } });
    }
  }
  return { events, throughRev };
}
