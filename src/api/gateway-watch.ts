// POST /v3/watch through the JSON gateway, as grpc-gateway serves etcd's bidirectional
// Watch: the request body is one or more WatchRequest JSON values; the answer is an open
// stream of `{"result":<WatchResponse>}` lines until the client goes away.

import type http from 'node:http';
import { WatchRequest, WatchResponse, WatchService } from '../gen/etcdserverpb/rpc.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { WatchSession } from '../server/watch-session.js';
import { splitJsonValues } from './gateway-stream.js';
import { withProtoNames } from './http-gateway.js';
import { httpRequestAuth } from './request-auth.js';
import { GatewayGrpcCall } from './gateway-grpc-call.js';
import { GrpcCode } from '../server/errors.js';

/** Output buffered beyond this makes watchers catch up from the backend instead. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

export function serveGatewayWatch(server: EtcdServer, req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    // Counted as etcd's gateway's Watch stream: it ends only when the caller goes away (Canceled).
    const call = new GatewayGrpcCall(WatchService.watch);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Grpc-Metadata-Content-Type': 'application/grpc', 'Transfer-Encoding': 'chunked' });
    const session = new WatchSession(
      server.watchHost(),
      {
        send: (r) => {
          call.sent(r);
          res.write(`${JSON.stringify({ result: WatchResponse.toJSON(r) })}\n`);
        },
        hasRoom: () => res.writableLength < HIGH_WATER_BYTES,
      },
      httpRequestAuth(req),
    );
    res.on('close', () => {
      session.close();
      call.finish(GrpcCode.Canceled);
    });
    void (async () => {
      for (const json of splitJsonValues(Buffer.concat(chunks).toString('utf8'))) {
        const request = WatchRequest.fromJSON(withProtoNames(json));
        call.received(request);
        await session.handle(request);
      }
    })();
  });
}
