// etcd answers plain HTTP/2 requests (curl's default over TLS) on the client port as
// well as gRPC: Go's server looks at each stream's content type. grpc-js answers every
// non-gRPC stream with 415, so the HTTP/2 server behind a connection injector gets a
// dispatcher in front of grpc-js's stream handler: gRPC streams go on to grpc-js, the
// rest to the member's HTTP handler through Node's HTTP/2 compatibility objects.

import http2 from 'node:http2';
import type http from 'node:http';
import type { Server as GrpcServer } from '@grpc/grpc-js';

type StreamListener = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void;

/** grpc-js keeps the HTTP/2 server of each injector in this private map, newest last. */
interface GrpcServerInternals {
  http2Servers: Map<http2.Http2Server, unknown>;
}

/** gRPC's content type: how the client port tells gRPC streams from plain HTTP/2 requests, as Go's server does. */
export function isGrpc(headers: http2.IncomingHttpHeaders): boolean {
  return String(headers['content-type'] ?? '').startsWith('application/grpc');
}

/** Takes a gRPC stream grpc-js would otherwise serve (true), or leaves it to grpc-js. */
export type GrpcStreamTaker = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => boolean;

/**
 * Call right after `grpc.createConnectionInjector(...)`: routes that injector's
 * non-gRPC HTTP/2 streams to `handler`, and gRPC streams to `grpcFirst` (the unary fast
 * path) before grpc-js.
 */
export function serveNonGrpcStreams(grpc: GrpcServer, handler: http.RequestListener, grpcFirst?: GrpcStreamTaker): void {
  const servers = (grpc as unknown as GrpcServerInternals).http2Servers;
  if (!(servers instanceof Map) || servers.size === 0) throw new Error('grpc-js internals changed: no injector HTTP/2 server found');
  const h2 = [...servers.keys()][servers.size - 1]!;
  const grpcListeners = h2.listeners('stream') as StreamListener[];
  h2.removeAllListeners('stream');
  h2.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number, rawHeaders: string[]) => {
    if (isGrpc(headers)) {
      if (grpcFirst?.(stream, headers) === true) return;
      for (const l of grpcListeners) l.call(h2, stream, headers, flags, rawHeaders);
      return;
    }
    const req = new http2.Http2ServerRequest(stream, headers, {}, rawHeaders);
    const res = new http2.Http2ServerResponse(stream);
    handler(req as unknown as http.IncomingMessage, res as unknown as http.ServerResponse);
  });
}
