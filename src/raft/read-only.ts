// The leader's queue of ReadIndex requests awaiting confirmation (Raft thesis §6.4):
// a read is served at the commit index the leader had when it received the request,
// once a quorum has answered a heartbeat sent after it, proving the leader was still
// the leader at that moment. Requests are identified by their context bytes and
// confirmed in arrival order: an ack for a later request confirms every earlier one.

import type { Message, NodeId } from './types.js';

/** Bound on ReadIndex requests queued on a leader; more are dropped (the caller retries). */
export const MAX_PENDING_READ_INDEX = 4096;

export interface ReadIndexStatus {
  /** The original request (its entries[0].data is the context; from is the requester). */
  req: Message;
  /** The leader's commit index when the request arrived. */
  index: number;
  /** Members that answered a heartbeat carrying this context. */
  acks: Set<NodeId>;
}

/** Map key for context bytes (a Latin-1 string with one char per byte). */
export function ctxKey(ctx: Uint8Array): string {
  let s = '';
  for (let i = 0; i < ctx.length; i++) s += String.fromCharCode(ctx[i]!);
  return s;
}

export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  /** Context keys in arrival order. */
  private queue: string[] = [];

  /** Queues a request; returns false if it is a duplicate or the queue is full. */
  addRequest(index: number, m: Message): boolean {
    const key = ctxKey(m.entries[0]!.data);
    if (this.pending.has(key)) return false;
    if (this.queue.length >= MAX_PENDING_READ_INDEX) return false;
    this.pending.set(key, { req: m, index, acks: new Set() });
    this.queue.push(key);
    return true;
  }

  /** Records a heartbeat answer carrying `ctx`; returns the acks so far, or undefined if unknown. */
  recvAck(from: NodeId, ctx: Uint8Array): Set<NodeId> | undefined {
    const rs = this.pending.get(ctxKey(ctx));
    if (!rs) return undefined;
    rs.acks.add(from);
    return rs.acks;
  }

  /** Dequeues the request with `ctx` and every request before it, oldest first. */
  advance(ctx: Uint8Array): ReadIndexStatus[] {
    const key = ctxKey(ctx);
    const i = this.queue.indexOf(key);
    if (i < 0) return [];
    const done = this.queue.slice(0, i + 1);
    this.queue = this.queue.slice(i + 1);
    return done.map((k) => {
      const rs = this.pending.get(k)!;
      this.pending.delete(k);
      return rs;
    });
  }

  /** Context of the newest pending request (heartbeats carry it), or undefined. */
  lastPendingRequestCtx(): Uint8Array | undefined {
    const k = this.queue[this.queue.length - 1];
    return k === undefined ? undefined : this.pending.get(k)!.req.entries[0]!.data;
  }

  size(): number {
    return this.queue.length;
  }
}
