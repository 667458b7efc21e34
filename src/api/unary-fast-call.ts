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

  /**
   * textValues(k)[0] without the arrays: the auth token is looked up on every call, and
   * two arrays a call (usually empty ones) were garbage for nothing.
   */
  firstText(k: 'token' | 'authorization'): string | undefined {
    const v = this.headers[k];
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) return LEGAL_TEXT_VALUE.test(v) ? v : undefined;
    for (const s of v) if (LEGAL_TEXT_VALUE.test(s)) return s;
    return undefined;
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

/**
 * The call a handler gets. The unary fast path's exchanges extend it (one object per call
 * instead of two); the request and metadata are set once the request is read. What it
 * needs of the stream the call came on (its peer, its close) the exchange provides.
 */
export abstract class FastUnaryCall<Req> {
  cancelled = false;
  request: Req | undefined = undefined;
  metadata: HeaderMetadata | undefined = undefined;
  private cancelListeners: CancelListener[] | undefined;

  constructor(
    protected readonly headers: http2.IncomingHttpHeaders,
    private readonly path: string,
    private readonly deadline: number,
  ) {}

  abstract getPeer(): string;

  /** Calls `f` once when the call's stream closes (on the next tick if it already has). */
  protected abstract whenStreamCloses(f: () => void): void;

  getDeadline(): number {
    return this.deadline;
  }

  getPath(): string {
    return this.path;
  }

  getHost(): string | undefined {
    return this.headers[':authority'] ?? this.headers.host;
  }

  /** The stream closed while a 'cancelled' listener waited (the exchange decides what that means). */
  protected streamClosed(): void {}

  /** Only 'cancelled' is ever emitted, as on grpc-js's unary call. */
  on(event: string, listener: CancelListener): this {
    if (event !== 'cancelled' || this.cancelled) return this;
    if (this.cancelListeners === undefined) {
      this.cancelListeners = [];
      // A closure made only here: few handlers ask for 'cancelled'.
      this.whenStreamCloses(() => this.streamClosed());
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

/** grpc-js's peer text for a connection: "address:port", the address alone, or "unknown". */
export function peerOf(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined } | undefined): string {
  if (!socket?.remoteAddress) return 'unknown';
  return socket.remotePort ? `${socket.remoteAddress}:${socket.remotePort}` : socket.remoteAddress;
}
