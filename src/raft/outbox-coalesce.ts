// Merges a message into the previous unsent one to the same member, so a Ready carries one
// append per follower (and one answer per leader) instead of one per proposal.
//
// Why: a leader steps every proposal on its own, and each step sends the new entry to every
// follower in Replicate state; every commit advance (each follower's answer) sends an empty
// append carrying the new commit index. Between two Readies a busy leader so queues dozens of
// tiny appends per follower, and each costs an encode, a frame, a decode, a step on the
// follower and an answer of its own (etcd's msgappv2 stream makes these cheap; our members pay
// per message). Appends that continue each other carry the same information as one append of
// all their entries with the newest commit index, and the follower's answers to them are
// subsumed by the answer with the highest index, so merging changes no outcome:
//  - an append whose entries start right after the previous append's (same term, matching
//    log term) is folded into it, up to maxSizePerMsg bytes of entries; the commit index
//    taken is the larger, which a follower clamps to what the message carries anyway;
//  - an accepting append answer is folded into the previous accepting answer of the same
//    term (the larger index wins); the leader handles one such answer exactly as it would
//    the sequence of smaller ones. Rejections are never merged: each carries its own hint.
// Only the most recent message to the member may absorb, so the per-member order on the
// stream stays the order raft produced. The leader's flow control still counts each append
// it made (the window frees them together when the merged one is acknowledged).

import { entrySize } from './storage.js';
import { MessageType, type Entry, type Message, type NodeId } from './types.js';

/** How far back from the end of the outbox to look for the last message to a member. */
const LOOKBACK = 16;

export class OutboxCoalescer {
  /** Entry arrays this coalescer made (and may extend in place); others belong to the log. */
  private readonly owned = new WeakSet<Entry[]>();
  /** Size of an append's entries (as the log's size limits count it), kept for appends that absorbed others. */
  private readonly sizes = new WeakMap<Message, number>();

  constructor(private readonly maxSizePerMsg: number) {}

  /** True when `m` was merged into a message already in `out` (and must not be sent itself). */
  absorb(out: Message[], m: Message): boolean {
    if (m.type !== MessageType.App && m.type !== MessageType.AppResp) return false;
    const prev = lastTo(out, m.to);
    if (prev === undefined || prev.type !== m.type || prev.term !== m.term) return false;
    return m.type === MessageType.App ? this.absorbAppend(prev, m) : absorbAnswer(prev, m);
  }

  private absorbAppend(prev: Message, m: Message): boolean {
    if (prev.snapshot !== undefined || m.snapshot !== undefined) return false;
    const n = prev.entries.length;
    const prevLastTerm = n > 0 ? prev.entries[n - 1]!.term : prev.logTerm;
    if (m.index !== prev.index + n || m.logTerm !== prevLastTerm) return false;
    if (m.entries.length > 0) {
      const prevBytes = this.sizes.get(prev) ?? payloadBytes(prev.entries);
      const bytes = prevBytes + payloadBytes(m.entries);
      // One entry always travels, but a merge never grows a message past the limit.
      if (n > 0 && bytes > this.maxSizePerMsg) return false;
      if (this.owned.has(prev.entries)) {
        for (const e of m.entries) prev.entries.push(e);
      } else {
        const merged = prev.entries.concat(m.entries);
        this.owned.add(merged);
        prev.entries = merged;
      }
      this.sizes.set(prev, bytes);
    }
    if (m.commit > prev.commit) prev.commit = m.commit;
    return true;
  }
}

function absorbAnswer(prev: Message, m: Message): boolean {
  if (prev.reject || m.reject) return false;
  if (m.index > prev.index) prev.index = m.index;
  return true;
}

/** The last message in `out` addressed to `to`, if it is among the last LOOKBACK ones. */
function lastTo(out: Message[], to: NodeId): Message | undefined {
  const stop = Math.max(0, out.length - LOOKBACK);
  for (let i = out.length - 1; i >= stop; i--) {
    if (out[i]!.to === to) return out[i];
  }
  return undefined;
}

function payloadBytes(ents: Entry[]): number {
  let s = 0;
  for (const e of ents) s += entrySize(e);
  return s;
}
