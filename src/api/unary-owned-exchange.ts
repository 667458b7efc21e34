// A unary call on a stream the client port's HTTP/2 front end took for itself
// (h2-front-connection.ts): the request comes from the connection's frames and the reply goes
// out as frames the connection writes, with no node:http2 stream in between.

import type http2 from 'node:http2';
import type { Metadata } from '@grpc/grpc-js';
import type { H2FrontConnection, OwnedCall } from './h2-front-connection.js';
import { UnaryExchange, type FastMethod, type UnaryLimits } from './unary-exchange.js';
import { respondBlock, trailersBlock } from './h2-reply-blocks.js';
import { okTrailers, RESPONSE_HEADERS } from './grpc-fast-status.js';
import type { UnaryFastPath } from './unary-fast-path.js';

class OwnedUnaryExchange extends UnaryExchange implements OwnedCall {
  /** Set once a handler listens for 'cancelled' (whenStreamCloses is asked at most once a call). */
  private onClose: (() => void) | undefined;

  constructor(
    limits: UnaryLimits,
    method: FastMethod,
    private readonly conn: H2FrontConnection,
    private readonly streamId: number,
    headers: http2.IncomingHttpHeaders,
    timeoutMs: number,
  ) {
    super(limits, method, headers, timeoutMs);
  }

  getPeer(): string {
    return this.conn.peer;
  }

  protected whenStreamCloses(f: () => void): void {
    if (this.conn.streamGone(this.streamId)) process.nextTick(f);
    else this.onClose = f;
  }

  protected streamGone(): boolean {
    return this.conn.streamGone(this.streamId);
  }

  protected sendReply(frame: Buffer, trailer: Metadata | null): void {
    this.conn.sendReply(this.streamId, respondBlock(RESPONSE_HEADERS), frame, trailersBlock(okTrailers(trailer)));
    this.markCancelled();
  }

  protected sendStatus(headers: http2.OutgoingHttpHeaders): void {
    this.conn.sendTrailers(this.streamId, respondBlock(headers));
  }

  streamReset(): void {
    if (!this.done) this.cancel();
  }

  onStreamClose(): void {
    this.onClose?.();
  }
}

/** A unary call the fast path serves, on the front end's stream `streamId`; undefined when it serves none. */
export function ownedUnaryCall(fast: UnaryFastPath, conn: H2FrontConnection, streamId: number, headers: http2.IncomingHttpHeaders): OwnedCall | undefined {
  const taken = fast.take(headers);
  if (taken === undefined) return undefined;
  return new OwnedUnaryExchange(fast.limits, taken.method, conn, streamId, headers, taken.timeoutMs);
}
