// One client watch stream: its watchers, their ids, and the WatchResponses etcd sends
// for creates, cancels, events, compactions and progress. Independent of the transport,
// so the gRPC stream and the JSON gateway's streamed /v3/watch share it.

import type { WatchRequest, WatchResponse } from '../gen/etcdserverpb/rpc.js';
import { WatchCreateRequest_FilterType } from '../gen/etcdserverpb/rpc.js';
import type { Event } from '../gen/mvccpb/kv.js';
import { Event_EventType } from '../gen/mvccpb/kv.js';
import type { ResponseHeader } from '../gen/etcdserverpb/rpc.js';
import { WatchResponse as WatchResponseCodec } from '../gen/etcdserverpb/rpc.js';
import { countStoreReads, countWatchEvents, countWatchStream } from '../metrics/registry.js';
import { EventType, type StoreEvent } from '../mvcc/types.js';
import type { WatchableStore, Watcher, WatchSink } from '../mvcc/watchable-store.js';
import type { AuthGate, RequestAuth } from './auth-gate.js';
import { EtcdError } from './errors.js';
import { toProtoKv } from './kv-apply.js';
import { deliveryResponse, encodeDelivery, watchIdField, type EncodedDelivery } from './watch-response-encoding.js';

/** The id etcd answers a progress request with (clientv3.InvalidWatchID). */
const PROGRESS_WATCH_ID = -1n;
const DUPLICATE_ID_REASON = 'mvcc: duplicate watch ID provided on the WatchStream';

export interface WatchSessionHost {
  watchable: WatchableStore;
  header(revision: number): ResponseHeader;
  authGate?: AuthGate | undefined;
  maxRequestBytes: number;
}

export interface WatchOutput {
  send(resp: WatchResponse): void;
  /** Sends a WatchResponse already encoded; outputs without it get event responses as objects. */
  sendEncoded?(bytes: Buffer): void;
  /** Sends one watcher's event delivery, encoded by the output itself (no buffer per watcher); `idField` from watchIdField. */
  sendDelivery?(delivery: EncodedDelivery, idField: Buffer): void;
  /** False while the consumer is backed up. */
  hasRoom(): boolean;
}

function toProtoEvent(e: StoreEvent): Event {
  return {
    type: e.type === 0 ? Event_EventType.PUT : Event_EventType.DELETE,
    kv: toProtoKv(e.kv),
    prevKv: e.prevKv ? toProtoKv(e.prevKv) : undefined,
  };
}

/**
 * etcd's watch stream reads the previous value of every event but a key's creation, for a
 * watcher that asked for it, with a store read per event, and etcd_mvcc_range_total shows
 * those reads. The store hands us the previous values already; only the count is made.
 */
function countPrevKvReads(events: StoreEvent[]): void {
  let n = 0;
  for (const e of events) if (e.type !== EventType.Put || e.kv.createRevision !== e.kv.modRevision) n++;
  countStoreReads(n);
}

/**
 * The last delivery encoded, shared by every session: the watchable store hands all the
 * watchers that want a whole write the same events array, so it identifies the delivery.
 */
let lastDelivery: { events: StoreEvent[]; rev: number; encoded: EncodedDelivery } | undefined;

function encodedDelivery(events: StoreEvent[], rev: number, host: WatchSessionHost): EncodedDelivery {
  if (lastDelivery?.events !== events || lastDelivery.rev !== rev) lastDelivery = { events, rev, encoded: encodeDelivery(host.header(rev), events) };
  return lastDelivery.encoded;
}

/** A WatchResponse with the generated defaults for every field not given. */
function response(partial: Partial<WatchResponse>): WatchResponse {
  return WatchResponseCodec.fromPartial(partial);
}

/** One watcher of this stream: its id, whether it takes fragments, its encoded id field. */
interface SessionWatcher {
  w: Watcher;
  id: bigint;
  fragment: boolean;
  idField: Buffer;
}

export class WatchSession {
  private readonly byId = new Map<bigint, SessionWatcher>();
  /** The same entries by watcher: a delivery finds its watcher's id with one lookup by object. */
  private readonly ids = new Map<Watcher, SessionWatcher>();
  private nextId = 0n;
  private closed = false;
  private readonly sink: WatchSink;

  constructor(
    private readonly host: WatchSessionHost,
    private readonly out: WatchOutput,
    private readonly auth: RequestAuth,
  ) {
    countWatchStream(1);
    this.sink = {
      deliver: (w, events, rev) => this.sendEvents(w, events, rev),
      compacted: (w, compactRev) => {
        const id = this.forget(w);
        if (id === undefined) return;
        // etcd's compaction notice carries a header without a revision.
        this.out.send(response({ header: { ...host.header(0), revision: 0n }, watchId: id, canceled: true, compactRevision: BigInt(compactRev) }));
      },
      progress: (w, rev) => {
        const id = this.ids.get(w)?.id;
        if (id !== undefined) this.out.send(response({ header: host.header(rev), watchId: id }));
      },
      hasRoom: () => out.hasRoom(),
    };
  }

  async handle(req: WatchRequest): Promise<void> {
    if (this.closed) return;
    if (req.createRequest) await this.create(req.createRequest);
    else if (req.cancelRequest) this.cancel(req.cancelRequest.watchId);
    else if (req.progressRequest) this.out.send(response({ header: this.host.header(this.host.watchable.rev()), watchId: PROGRESS_WATCH_ID }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    countWatchStream(-1);
    for (const { w } of this.byId.values()) this.host.watchable.cancel(w);
    this.byId.clear();
    this.ids.clear();
  }

  private async create(c: NonNullable<WatchRequest['createRequest']>): Promise<void> {
    const rangeEnd = Buffer.from(c.rangeEnd);
    let id = c.watchId;
    if (id !== 0n && this.byId.has(id)) {
      this.out.send(response({ header: this.host.header(this.host.watchable.rev()), watchId: id, created: true, canceled: true, cancelReason: DUPLICATE_ID_REASON }));
      return;
    }
    if (id === 0n) {
      while (this.byId.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    }
    if (this.host.authGate) {
      try {
        await this.host.authGate.authorize(this.auth, { kind: 'read', key: c.key, rangeEnd });
      } catch (err) {
        const reason = err instanceof EtcdError ? err.message : String(err);
        this.out.send(response({ header: this.host.header(this.host.watchable.rev()), watchId: id, created: true, canceled: true, cancelReason: reason }));
        return;
      }
    }
    if (this.closed) return;
    const filters = new Set(c.filters);
    const w = this.host.watchable.watch(
      {
        key: Buffer.from(c.key),
        rangeEnd,
        startRev: Number(c.startRevision),
        noPut: filters.has(WatchCreateRequest_FilterType.NOPUT),
        noDelete: filters.has(WatchCreateRequest_FilterType.NODELETE),
        prevKv: c.prevKv,
        progressNotify: c.progressNotify,
      },
      this.sink,
    );
    const entry: SessionWatcher = { w, id, fragment: c.fragment, idField: watchIdField(id) };
    this.byId.set(id, entry);
    this.ids.set(w, entry);
    // The created answer goes out before any event: catch-up runs on a later turn.
    this.out.send(response({ header: this.host.header(this.host.watchable.rev()), watchId: id, created: true }));
  }

  private cancel(id: bigint): void {
    const entry = this.byId.get(id);
    // etcd says nothing about an id it does not know.
    if (!entry) return;
    this.host.watchable.cancel(entry.w);
    this.forget(entry.w);
    this.out.send(response({ header: this.host.header(this.host.watchable.rev()), watchId: id, canceled: true }));
  }

  private forget(w: Watcher): bigint | undefined {
    const entry = this.ids.get(w);
    if (entry === undefined) return undefined;
    this.ids.delete(w);
    this.byId.delete(entry.id);
    return entry.id;
  }

  private sendEvents(w: Watcher, events: StoreEvent[], rev: number): void {
    const entry = this.ids.get(w);
    if (entry === undefined) return;
    const { id, fragment } = entry;
    countWatchEvents(events.length);
    if (w.opts.prevKv) countPrevKvReads(events);
    if (this.out.sendDelivery && !fragment) {
      this.out.sendDelivery(encodedDelivery(events, rev, this.host), entry.idField);
      return;
    }
    if (this.out.sendEncoded && !fragment) {
      this.out.sendEncoded(deliveryResponse(encodedDelivery(events, rev, this.host), id));
      return;
    }
    const all = events.map(toProtoEvent);
    const header = this.host.header(rev);
    const whole = response({ header, watchId: id, events: all });
    if (!fragment || WatchResponseCodec.encode(whole).finish().length <= this.host.maxRequestBytes) {
      this.out.send(whole);
      return;
    }
    // Fragmented: pieces under the request limit, each but the last marked as a fragment.
    let piece: Event[] = [];
    let size = 0;
    const pieces: Event[][] = [];
    for (const e of all) {
      const n = WatchResponseCodec.encode(response({ header, watchId: id, events: [e] })).finish().length;
      if (piece.length > 0 && size + n > this.host.maxRequestBytes) {
        pieces.push(piece);
        piece = [];
        size = 0;
      }
      piece.push(e);
      size += n;
    }
    if (piece.length > 0) pieces.push(piece);
    pieces.forEach((p, i) => this.out.send(response({ header, watchId: id, events: p, fragment: i < pieces.length - 1 })));
  }
}
