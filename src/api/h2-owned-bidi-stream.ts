// A bidi-streaming call (Watch, LeaseKeepAlive) on a stream the client port's HTTP/2 front end
// serves itself (h2-front-connection.ts), seen by the watch and keep-alive fast paths through the
// few ServerHttp2Stream members they use (BidiStream in grpc-fast-bidi.ts): request chunks and
// the client's half-close as 'data' and 'end', the response headers, DATA writes whose callback
// runs once the bytes reach the socket (their send buffer), trailers once the DATA went, and
// 'close' when the stream is over.

import type http2 from 'node:http2';
import type { BidiStream } from './grpc-fast-bidi.js';
import type { H2FrontConnection, OwnedCall } from './h2-front-connection.js';
import { respondBlock, trailersBlock } from './h2-reply-blocks.js';

export class OwnedBidiStream implements BidiStream, OwnedCall {
  destroyed = false;
  closed = false;
  private onDataListener: ((chunk: Buffer) => void) | undefined;
  private onEndListener: (() => void) | undefined;
  private onWantTrailers: (() => void) | undefined;
  private closeListeners: (() => void)[] = [];

  constructor(
    private readonly conn: H2FrontConnection,
    private readonly id: number,
  ) {}

  on(event: 'data' | 'end' | 'close' | 'wantTrailers' | 'error', listener: ((chunk: Buffer) => void) | (() => void) | ((err: Error) => void)): this {
    if (event === 'data') this.onDataListener = listener as (chunk: Buffer) => void;
    else if (event === 'end') this.onEndListener = listener as () => void;
    else if (event === 'wantTrailers') this.onWantTrailers = listener as () => void;
    else if (event === 'close') this.closeListeners.push(listener as () => void);
    // 'error': a stream of ours fails only with its connection, which closes it.
    return this;
  }

  respond(headers: http2.OutgoingHttpHeaders, options: { waitForTrailers?: boolean; endStream?: boolean }): void {
    if (options.endStream === true) this.conn.sendTrailers(this.id, respondBlock(headers));
    else this.conn.sendHeaders(this.id, respondBlock(headers));
  }

  write(chunk: Buffer, written: () => void): boolean {
    this.conn.sendData(this.id, chunk, written);
    return true;
  }

  /** The exchange's last DATA is out: as with node's waitForTrailers, it is asked for the trailers. */
  end(): this {
    this.conn.whenDataSent(this.id, () => this.onWantTrailers?.());
    return this;
  }

  sendTrailers(headers: http2.OutgoingHttpHeaders): void {
    this.conn.sendTrailers(this.id, trailersBlock(headers));
  }

  /** The rest of a request after the call ended is always read and dropped. */
  resume(): this {
    return this;
  }

  requestData(chunk: Buffer): void {
    this.onDataListener?.(chunk);
  }

  requestEnd(): void {
    this.onEndListener?.();
  }

  streamReset(): void {
    this.destroyed = true;
  }

  onStreamClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.closeListeners) f();
  }
}
