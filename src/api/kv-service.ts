// etcdserverpb.KV over gRPC: a thin shell around the member's KV methods.

import type { KVServer } from '../gen/etcdserverpb/rpc.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { unary } from './unary.js';

export function kvService(server: EtcdServer): KVServer {
  return {
    range: unary((r) => server.range(r)),
    put: unary((r) => server.put(r)),
    deleteRange: unary((r) => server.deleteRange(r)),
    txn: unary((r) => server.txn(r)),
    compact: unary((r) => server.compact(r)),
  };
}
