// Checks what watchers saw against what the clients wrote and what the store holds at the
// end. A watcher watches the whole key space from the store's first revision and, after any
// error, resumes from the revision after the last one it received (as clientv3 does), so a
// correct store and client give every watcher exactly the store's history:
//   - order: revisions never go back, and no (revision, key) event is delivered twice;
//   - no gaps: every revision after `baseRevision` up to the final one is observed (each
//     revision is one write transaction, and every write makes at least one event);
//   - acknowledged writes: each write acknowledged as applied at revision R appears at R,
//     with its value; a write acknowledged as changing nothing (a failed compare-and-set, a
//     delete of an absent key) or never issued has no event; a write whose outcome is
//     unknown may appear at most once, at any revision;
//   - the end state: replaying the events gives the final full-range read;
//   - agreement: all watchers saw the same events at every revision.
// Pure: the fault harness records, this judges.

export type WatchEventType = 'put' | 'delete';

export interface WatchedEvent {
  type: WatchEventType;
  key: string;
  /** The event's mod_revision (a delete's is the deleting revision). */
  revision: number;
  /** A put's value; absent for deletes. */
  value?: string;
}

export interface WatcherRecord {
  name: string;
  events: WatchedEvent[];
  /** Set when etcd canceled the watch (e.g. compacted away); the text says why. */
  canceled?: string;
}

/** How an issued write ended, as far as its client knows. */
export type WriteOutcome =
  | { status: 'applied'; revision: number }
  | { status: 'not-applied' }
  | { status: 'unknown' };

export interface WriteRecord {
  type: WatchEventType;
  key: string;
  /** A put's value; values are unique per write, which is how events find their write. */
  value?: string;
  outcome: WriteOutcome;
}

export interface FinalRead {
  /** The store's revision when the final read was served. */
  revision: number;
  /** Every key and value the store holds at that revision. */
  kvs: ReadonlyMap<string, string>;
}

export interface WatchCheckInput {
  watchers: readonly WatcherRecord[];
  writes: readonly WriteRecord[];
  final: FinalRead;
  /** The store's revision before the first write the watchers must see (1 for a new cluster). */
  baseRevision: number;
}

export interface WatchCheckResult {
  /** Events checked, over all watchers. */
  events: number;
  /** Everything wrong, in words, each prefixed with the watcher's name. */
  anomalies: string[];
}

/** At most this many anomalies of one kind per watcher are spelled out. */
const MAX_REPORTED = 5;

export function checkWatches(input: WatchCheckInput): WatchCheckResult {
  const anomalies: string[] = [];
  let events = 0;
  for (const w of input.watchers) {
    events += w.events.length;
    anomalies.push(...checkOneWatcher(w, input).map((a) => `watcher ${w.name}: ${a}`));
  }
  anomalies.push(...checkAgreement(input.watchers));
  return { events, anomalies };
}

function checkOneWatcher(w: WatcherRecord, input: WatchCheckInput): string[] {
  const out: string[] = [];
  if (w.canceled !== undefined) out.push(`watch canceled: ${w.canceled}`);
  out.push(...checkOrder(w.events));
  out.push(...checkGaps(w.events, input.baseRevision, input.final.revision));
  out.push(...checkAgainstWrites(w.events, input.writes));
  out.push(...checkFinalState(w.events, input.final));
  return out;
}

const describe = (e: WatchedEvent): string => `${e.type} ${JSON.stringify(e.key)}${e.value === undefined ? '' : `=${JSON.stringify(e.value)}`} at revision ${e.revision}`;

function limited(kind: string, items: string[]): string[] {
  if (items.length <= MAX_REPORTED) return items;
  return [...items.slice(0, MAX_REPORTED), `... and ${items.length - MAX_REPORTED} more ${kind}`];
}

/** Revisions never decrease; a (revision, key) pair is delivered once. */
function checkOrder(events: readonly WatchedEvent[]): string[] {
  const backwards: string[] = [];
  const duplicates: string[] = [];
  const seen = new Set<string>();
  let last = -Infinity;
  for (const e of events) {
    if (e.revision < last) backwards.push(`out of order: ${describe(e)} after revision ${last}`);
    const id = `${e.revision}\u0000${e.key}`;
    if (seen.has(id)) duplicates.push(`duplicate: ${describe(e)} delivered again`);
    seen.add(id);
    last = Math.max(last, e.revision);
  }
  return [...limited('out-of-order events', backwards), ...limited('duplicates', duplicates)];
}

/** Every revision in (base, final] is observed. */
function checkGaps(events: readonly WatchedEvent[], base: number, final: number): string[] {
  const observed = new Set(events.map((e) => e.revision));
  const missing: [number, number][] = [];
  for (let r = base + 1; r <= final; r++) {
    if (observed.has(r)) continue;
    const run = missing[missing.length - 1];
    if (run !== undefined && run[1] === r - 1) run[1] = r;
    else missing.push([r, r]);
  }
  return limited('gaps', missing.map(([a, b]) => (a === b ? `gap: revision ${a} never observed` : `gap: revisions ${a}..${b} never observed`)));
}

/** Events match the writes: acknowledged ones at their revision, nothing that did not happen. */
function checkAgainstWrites(events: readonly WatchedEvent[], writes: readonly WriteRecord[]): string[] {
  const missing: string[] = [];
  const phantom: string[] = [];
  const wrong: string[] = [];
  const eventAt = new Map<string, WatchedEvent>();
  for (const e of events) eventAt.set(`${e.revision}\u0000${e.key}`, e);
  const putsByValue = new Map<string, WriteRecord>();
  const unknownDeletes = new Map<string, number>();
  const appliedDeletes = new Set<string>();
  for (const w of writes) {
    if (w.type === 'put' && w.value !== undefined) putsByValue.set(`${w.key}\u0000${w.value}`, w);
    if (w.type === 'delete' && w.outcome.status === 'unknown') unknownDeletes.set(w.key, (unknownDeletes.get(w.key) ?? 0) + 1);
    if (w.type === 'delete' && w.outcome.status === 'applied') appliedDeletes.add(`${w.outcome.revision}\u0000${w.key}`);
    if (w.outcome.status !== 'applied') continue;
    const e = eventAt.get(`${w.outcome.revision}\u0000${w.key}`);
    const expected: WatchedEvent = { type: w.type, key: w.key, revision: w.outcome.revision, ...(w.value === undefined ? {} : { value: w.value }) };
    if (e === undefined) missing.push(`acknowledged ${describe(expected)} has no event`);
    else if (e.type !== w.type || e.value !== w.value) wrong.push(`acknowledged ${describe(expected)} but the event there is ${describe(e)}`);
  }
  const usedUnknownDeletes = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'put') {
      const w = e.value === undefined ? undefined : putsByValue.get(`${e.key}\u0000${e.value}`);
      if (w === undefined) phantom.push(`${describe(e)}: no client wrote this value`);
      else if (w.outcome.status === 'not-applied') phantom.push(`${describe(e)}: that write was acknowledged as not applied`);
      else if (w.outcome.status === 'applied' && w.outcome.revision !== e.revision) wrong.push(`${describe(e)}: that write was acknowledged at revision ${w.outcome.revision}`);
    } else if (!appliedDeletes.has(`${e.revision}\u0000${e.key}`)) {
      // An unacknowledged delete explains at most one delete event on its key.
      const used = (usedUnknownDeletes.get(e.key) ?? 0) + 1;
      usedUnknownDeletes.set(e.key, used);
      if (used > (unknownDeletes.get(e.key) ?? 0)) phantom.push(`${describe(e)}: no delete of this key was acknowledged there or left unanswered`);
    }
  }
  return [...limited('missing writes', missing), ...limited('mismatched events', wrong), ...limited('events without a write', phantom)];
}

/** Replaying the events gives the store's final contents. */
function checkFinalState(events: readonly WatchedEvent[], final: FinalRead): string[] {
  const state = new Map<string, string>();
  for (const e of events) {
    if (e.revision > final.revision) continue;
    if (e.type === 'put') state.set(e.key, e.value ?? '');
    else state.delete(e.key);
  }
  const diffs: string[] = [];
  for (const key of new Set([...state.keys(), ...final.kvs.keys()])) {
    const mine = state.get(key);
    const store = final.kvs.get(key);
    if (mine !== store) diffs.push(`final state: ${JSON.stringify(key)} is ${show(store)} in the store but ${show(mine)} after replaying the events`);
  }
  return limited('final-state differences', diffs.sort());
}

const show = (v: string | undefined): string => (v === undefined ? 'absent' : JSON.stringify(v));

/** Every revision that two watchers both observed carries the same events for both. */
function checkAgreement(watchers: readonly WatcherRecord[]): string[] {
  const byRevision = (w: WatcherRecord): Map<number, string> => {
    const m = new Map<number, string[]>();
    for (const e of w.events) m.set(e.revision, [...(m.get(e.revision) ?? []), describe(e)]);
    return new Map([...m].map(([r, list]) => [r, list.sort().join('; ')]));
  };
  const out: string[] = [];
  const [first, ...rest] = watchers;
  if (first === undefined) return out;
  const reference = byRevision(first);
  for (const w of rest) {
    const diffs: string[] = [];
    for (const [r, text] of byRevision(w)) {
      const ref = reference.get(r);
      if (ref !== undefined && ref !== text) diffs.push(`watchers ${first.name} and ${w.name} disagree at revision ${r}: ${ref} vs ${text}`);
    }
    out.push(...limited('disagreements', diffs));
  }
  return out;
}
