// etcdserverpb.Watch over gRPC: one bidirectional stream per client watch stream, many
// watchers on it. Requests are handled in arrival order; a backed-up stream (the HTTP/2
// window or Node's buffer full) makes its watchers catch up from the backend later
// instead of piling responses up in memory.

import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { WatchRequest, WatchResponse, WatchServer } from '../gen/etcdserverpb/rpc.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { WatchSession } from '../server/watch-session.js';
import { toServiceError } from './grpc-errors.js';
import { requestAuth } from './request-auth.js';

export function watchService(server: EtcdServer): WatchServer {
  return {
    watch(call: ServerDuplexStream<WatchRequest, WatchResponse>): void {
      let session: WatchSession;
      try {
        session = new WatchSession(server.watchHost(), { send: (r) => void call.write(r), hasRoom: () => !call.writableNeedDrain }, requestAuth(call.metadata));
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
