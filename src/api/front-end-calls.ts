// Which calls the client port's HTTP/2 front end (h2-front-connection.ts) serves itself: the
// unary calls of the unary fast path, and the Watch and LeaseKeepAlive streams their fast paths
// take. Anything else on a connection (other streaming calls, compressed or deadline-bound
// streams, plain HTTP/2 requests) goes on to node and grpc-js.

import type http2 from 'node:http2';
import type { OwnedCallTaker } from './h2-front-connection.js';
import type { BidiStream } from './grpc-fast-bidi.js';
import { OwnedBidiStream } from './h2-owned-bidi-stream.js';
import { ownedUnaryCall } from './unary-owned-exchange.js';
import { isGrpc } from './grpc-h2-fallback.js';
import type { UnaryFastPath } from './unary-fast-path.js';

/** A bidi fast path: serves the stream (true) or leaves it. */
export interface BidiFastPath {
  tryServe(stream: BidiStream, headers: http2.IncomingHttpHeaders): boolean;
}

export function frontEndCalls(unary: UnaryFastPath, bidi: readonly BidiFastPath[]): OwnedCallTaker {
  return {
    take(conn, streamId, headers) {
      if (headers[':method'] !== 'POST' || headers[':scheme'] === undefined || !isGrpc(headers)) return undefined;
      const call = ownedUnaryCall(unary, conn, streamId, headers);
      if (call !== undefined) return call;
      const stream = new OwnedBidiStream(conn, streamId);
      for (const path of bidi) if (path.tryServe(stream, headers)) return stream;
      return undefined;
    },
  };
}
