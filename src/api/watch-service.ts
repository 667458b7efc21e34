// etcdserverpb.Watch over gRPC: one bidirectional stream per client watch stream, many
// watchers on it. Requests are handled in arrival order; a backed-up stream (the HTTP/2
// window or Node's buffer full) makes its watchers catch up from the backend later
// instead of piling responses up in memory.

import type { ServerDuplexStream } from '@grpc/grpc-js';
import { WatchService, type WatchRequest, type WatchResponse, type WatchServer } from '../gen/etcdserverpb/rpc.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { WatchSession } from '../server/watch-session.js';
import { toServiceError } from './grpc-errors.js';
import { requestAuth } from './request-auth.js';

/**
 * Responses a watch stream may have queued before its watchers count as backed up, as
 * etcd's per-stream send buffer holds 128: a single put seen by many watchers on one
 * stream queues one response each, more than the stream's default high-water mark of 16.
 */
export const STREAM_SEND_BUFFER = 128;

/**
 * WatchService whose responses may also be written already encoded: event deliveries are
 * encoded once per write for all the watchers that see it (src/server/watch-response-encoding.ts)
 * and pass through the serializer as they are.
 */
export const WATCH_SERVICE_PREENCODED: typeof WatchService = {
  ...WatchService,
  watch: {
    ...WatchService.watch,
    responseSerialize: (v: WatchResponse | Buffer): Buffer => (Buffer.isBuffer(v) ? v : WatchService.watch.responseSerialize(v)),
  },
};

export function watchService(server: EtcdServer): WatchServer {
  return {
    watch(call: ServerDuplexStream<WatchRequest, WatchResponse>): void {
      let session: WatchSession;
      try {
        const output = {
          send: (r: WatchResponse) => void call.write(r),
          // Only through WATCH_SERVICE_PREENCODED's serializer, which passes bytes through.
          sendEncoded: (bytes: Buffer) => void call.write(bytes as unknown as WatchResponse),
          hasRoom: () => call.writableLength < STREAM_SEND_BUFFER,
        };
        session = new WatchSession(server.watchHost(), output, requestAuth(call.metadata));
      } catch (err) {
        call.emit('error', toServiceError(err));
        return;
      }
      let chain = Promise.resolve();
      call.on('data', (req: WatchRequest) => {
        chain = chain.then(() => session.handle(req)).catch((err: unknown) => {
          session.close();
          call.emit('error', toServiceError(err));
        });
      });
      const finish = () => session.close();
      call.on('end', () => {
        finish();
        call.end();
      });
      call.on('cancelled', finish);
      call.on('error', finish);
      call.on('close', finish);
    },
  };
}
