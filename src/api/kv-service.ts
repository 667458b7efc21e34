// etcdserverpb.KV over gRPC: a thin shell around the member's KV methods.

import type { KVServer } from '../gen/etcdserverpb/rpc.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { requestAuth } from './request-auth.js';
import { unary } from './unary.js';
import { putHandler } from './put-handler.js';

export function kvService(server: EtcdServer): KVServer {
  return {
    range: unary((r, call) => server.range(r, requestAuth(call.metadata))),
    put: putHandler(server),
    deleteRange: unary((r, call) => server.deleteRange(r, requestAuth(call.metadata))),
    txn: unary((r, call) => server.txn(r, requestAuth(call.metadata))),
    compact: unary((r, call) => server.compact(r, requestAuth(call.metadata))),
  };
}
