// The call object the unary fast path (unary-fast-path.ts) hands to a service's grpc-js style
// handler in place of grpc-js's ServerUnaryCall: the parts our handlers use (request,
// metadata, cancelled and its event, peer, deadline, path, host).

import type http2 from 'node:http2';
import { Metadata, type MetadataValue } from '@grpc/grpc-js';

/** Headers grpc-js strips from the request metadata it gives handlers. */
const NOT_METADATA = new Set(['grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'accept-encoding', 'te', 'content-type']);
/** grpc-js drops (and logs) entries whose key or text value breaks these rules. */
const LEGAL_KEY = /^[0-9a-z_.-]+$/;
const LEGAL_TEXT_VALUE = /^[ -~]*$/;

/**
 * Request metadata read straight from the HTTP/2 headers. Services look up one key (the
 * auth `token`), and building grpc-js's Metadata walks and validates every header of every
 * call; anything past a plain text lookup gets the real Metadata, built once on demand.
 */
export class HeaderMetadata {
  private full: Metadata | undefined;

  constructor(private readonly headers: http2.IncomingHttpHeaders) {}

  get(key: string): MetadataValue[] {
    // The auth token's two keys, looked up on every call, are known plain: no key checks.
    if (key === 'token' || key === 'authorization') return this.textValues(key);
    const k = key.toLowerCase();
    if (k.endsWith('-bin') || !LEGAL_KEY.test(k)) return this.toMetadata().get(k);
    if (NOT_METADATA.has(k)) return [];
    return this.textValues(k);
  }

  /** The values of a plain, legal, lower-case key grpc-js would keep. */
  private textValues(k: string): MetadataValue[] {
    const v = this.headers[k];
    if (v === undefined) return [];
    const values = Array.isArray(v) ? v : [v];
    return values.filter((s) => LEGAL_TEXT_VALUE.test(s));
  }

  /** grpc-js's Metadata of the same headers, as its ServerUnaryCall would carry. */
  toMetadata(): Metadata {
    if (this.full === undefined) {
      this.full = Metadata.fromHttp2Headers(this.headers);
      for (const k of NOT_METADATA) this.full.remove(k);
    }
    return this.full;
  }

  getMap(): Record<string, MetadataValue> {
    return this.toMetadata().getMap();
  }
}

type CancelListener = () => void;

export class FastUnaryCall<Req> {
  cancelled = false;
  private cancelListeners: CancelListener[] | undefined;

  constructor(
    readonly request: Req,
    readonly metadata: HeaderMetadata,
    private readonly stream: http2.ServerHttp2Stream,
    private readonly path: string,
    private readonly host: string | undefined,
    private readonly deadline: number,
    /** Called when the stream closes; hooked up by the first 'cancelled' listener. */
    private readonly onStreamClose: () => void,
  ) {}

  getPeer(): string {
    const socket = this.stream.session?.socket;
    if (!socket?.remoteAddress) return 'unknown';
    return socket.remotePort ? `${socket.remoteAddress}:${socket.remotePort}` : socket.remoteAddress;
  }

  getDeadline(): number {
    return this.deadline;
  }

  getPath(): string {
    return this.path;
  }

  getHost(): string | undefined {
    return this.host;
  }

  /** Only 'cancelled' is ever emitted, as on grpc-js's unary call. */
  on(event: string, listener: CancelListener): this {
    if (event !== 'cancelled' || this.cancelled) return this;
    if (this.cancelListeners === undefined) {
      this.cancelListeners = [];
      if (this.stream.closed || this.stream.destroyed) process.nextTick(this.onStreamClose);
      else this.stream.once('close', this.onStreamClose);
    }
    this.cancelListeners.push(listener);
    return this;
  }

  once(event: string, listener: CancelListener): this {
    return this.on(event, listener);
  }

  /**
   * grpc-js marks the call cancelled once its stream is done, successful or not, and tells
   * the listeners on the next tick.
   */
  markCancelled(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const listeners = this.cancelListeners;
    this.cancelListeners = undefined;
    if (listeners !== undefined) process.nextTick(() => { for (const l of listeners) l(); });
  }
}
