// A Watch stream wrapper: many watches over one bidirectional stream, with resume.
//
// etcd answers create requests in the order they were sent (created=true, with the id it
// chose), so creates wait in a FIFO until their answer arrives. Each watch remembers the
// next revision it needs: after `created` the header revision + 1 (when it watched "from
// now"), after events the last event's mod_revision + 1, after a progress notification the
// header revision + 1. When the stream fails, every watch is re-created from that revision
// on a new stream (another endpoint if need be), so listeners see each event exactly once
// unless that revision was compacted meanwhile, in which case they get etcd's canceled
// response with compact_revision set.

import { status as GrpcStatus, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { WatchCancelRequest, WatchCreateRequest, WatchProgressRequest, WatchRequest, WatchService, type WatchResponse } from '../gen/etcdserverpb/rpc.js';
import type { ClientCore } from './client-core.js';
import { ClientError } from './errors.js';

/** Creates in flight (sent, not yet answered) on one stream. */
export const MAX_PENDING_CREATES = 1024;
/** Wait before reopening a failed watch stream. */
export const WATCH_RETRY_MS = 200;
/** etcd's watch id for responses meant for every watch on the stream (progress). */
const BROADCAST_ID = -1n;

type Stream = ClientDuplexStream<WatchRequest, WatchResponse>;
export type WatchListener = (r: WatchResponse) => void;

export interface Watcher {
  /** The id etcd gave this watch on the current stream (it changes when the stream resumes). */
  readonly id: bigint;
  /** The next revision this watch expects. */
  readonly nextRevision: bigint;
  /** Cancels the watch; resolves once etcd confirms (or at once when the stream is down). */
  cancel(): Promise<void>;
}

interface WatchState extends Watcher {
  id: bigint;
  nextRevision: bigint;
  readonly req: WatchCreateRequest;
  readonly listener: WatchListener;
  /** Settles the first create. */
  created?: { resolve: (w: Watcher) => void; reject: (e: Error) => void };
  /** Settles a pending cancel. */
  canceled?: () => void;
  /** cancel() was called before etcd answered the create. */
  cancelRequested?: boolean;
}

export class WatchStream {
  private stream: Stream | undefined;
  private endpoint = '';
  private opening: Promise<void> | undefined;
  /** Creates sent on the current stream, awaiting `created`, in send order. */
  private readonly pending: WatchState[] = [];
  /** Watches etcd confirmed on the current stream, by id. */
  private readonly active = new Map<bigint, WatchState>();
  /** Watches to (re-)create when the next stream opens. */
  private readonly queued: WatchState[] = [];
  private closed = false;

  constructor(private readonly client: ClientCore) {}

  /**
   * Starts a watch; resolves once etcd has created it. Every later response for it (events,
   * progress, the final canceled one) goes to `listener`. Fails with etcd's cancel reason
   * when etcd refuses the watch.
   */
  watch(create: Parameters<typeof WatchCreateRequest.fromPartial>[0], listener: WatchListener): Promise<Watcher> {
    if (this.closed) return Promise.reject(new ClientError(GrpcStatus.CANCELLED, 'watch stream closed'));
    const req = WatchCreateRequest.fromPartial(create);
    return new Promise<Watcher>((resolve, reject) => {
      const state: WatchState = {
        id: BROADCAST_ID,
        nextRevision: req.startRevision,
        req,
        listener,
        created: { resolve, reject },
        cancel: () => this.cancel(state),
      };
      this.queued.push(state);
      void this.flush();
    });
  }

  /** Asks etcd for a progress notification on every watch of this stream. */
  requestProgress(): void {
    this.stream?.write(WatchRequest.fromPartial({ progressRequest: WatchProgressRequest.fromPartial({}) }));
  }

  /** Ends the stream and every watch on it. */
  close(): void {
    this.closed = true;
    const err = new ClientError(GrpcStatus.CANCELLED, 'watch stream closed');
    for (const s of [...this.pending, ...this.queued]) s.created?.reject(err);
    for (const s of [...this.pending, ...this.queued, ...this.active.values()]) s.canceled?.();
    this.pending.length = 0;
    this.queued.length = 0;
    this.active.clear();
    this.stream?.cancel();
    this.stream = undefined;
  }

  private cancel(state: WatchState): Promise<void> {
    const queuedAt = this.queued.indexOf(state);
    if (queuedAt >= 0) this.queued.splice(queuedAt, 1);
    if (this.pending.includes(state)) {
      // Sent but not yet created: cancel as soon as etcd names it.
      state.cancelRequested = true;
      return new Promise((resolve) => (state.canceled = resolve));
    }
    if (!this.active.has(state.id) || this.stream === undefined) {
      this.active.delete(state.id);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      state.canceled = resolve;
      this.stream!.write(WatchRequest.fromPartial({ cancelRequest: WatchCancelRequest.fromPartial({ watchId: state.id }) }));
    });
  }

  /** Opens the stream if needed and sends every queued create. */
  private async flush(): Promise<void> {
    if (this.stream === undefined) {
      this.opening ??= this.open().finally(() => (this.opening = undefined));
      await this.opening;
    }
    const stream = this.stream;
    if (stream === undefined || this.closed) return;
    while (this.queued.length > 0 && this.pending.length < MAX_PENDING_CREATES) {
      const s = this.queued.shift()!;
      this.pending.push(s);
      stream.write(WatchRequest.fromPartial({ createRequest: { ...s.req, startRevision: s.nextRevision } }));
    }
  }

  private async open(): Promise<void> {
    while (!this.closed && !this.client.isClosed) {
      try {
        const { stream, endpoint } = await this.client.openBidi(WatchService.watch, { timeoutMs: 0 });
        if (this.closed) {
          stream.cancel();
          return;
        }
        this.stream = stream;
        this.endpoint = endpoint;
        stream.on('data', (r: WatchResponse) => this.onResponse(stream, r));
        stream.on('error', (e: ServiceError) => this.onBroken(stream, e));
        stream.on('end', () => this.onBroken(stream, undefined));
        return;
      } catch {
        await new Promise((r) => setTimeout(r, WATCH_RETRY_MS));
      }
    }
  }

  private onResponse(stream: Stream, r: WatchResponse): void {
    if (stream !== this.stream) return;
    if (r.created) {
      const s = this.pending.shift();
      if (s === undefined) return;
      if (r.canceled) {
        // etcd refused the watch (e.g. permission denied): fail the create, or on a resume tell the listener.
        if (s.created) s.created.reject(new ClientError(GrpcStatus.FAILED_PRECONDITION, r.cancelReason || 'watch canceled', this.endpoint));
        else s.listener(r);
        s.canceled?.();
        return;
      }
      s.id = r.watchId;
      if (s.nextRevision <= 0n) s.nextRevision = (r.header?.revision ?? 0n) + 1n;
      this.active.set(s.id, s);
      if (s.cancelRequested) stream.write(WatchRequest.fromPartial({ cancelRequest: WatchCancelRequest.fromPartial({ watchId: s.id }) }));
      const created = s.created;
      s.created = undefined;
      created?.resolve(s);
      void this.flush();
      return;
    }
    if (r.watchId === BROADCAST_ID) {
      for (const s of this.active.values()) this.deliver(s, r);
      return;
    }
    const s = this.active.get(r.watchId);
    if (s === undefined) return;
    if (r.canceled) {
      this.active.delete(r.watchId);
      s.listener(r);
      s.canceled?.();
      return;
    }
    this.deliver(s, r);
  }

  private deliver(s: WatchState, r: WatchResponse): void {
    const last = r.events[r.events.length - 1];
    if (last?.kv !== undefined) s.nextRevision = last.kv.modRevision + 1n;
    else if (!r.fragment && r.events.length === 0 && r.header !== undefined && r.header.revision + 1n > s.nextRevision) s.nextRevision = r.header.revision + 1n;
    s.listener(r);
  }

  /** The stream failed: re-create every watch from its next revision on a new stream. */
  private onBroken(stream: Stream, _err: ServiceError | undefined): void {
    if (stream !== this.stream) return;
    this.stream = undefined;
    if (this.closed) return;
    // Unanswered creates first (they were sent first), then confirmed watches.
    const again = [...this.pending, ...this.active.values()];
    this.pending.length = 0;
    this.active.clear();
    this.queued.unshift(...again);
    setTimeout(() => void this.flush(), WATCH_RETRY_MS);
  }
}
