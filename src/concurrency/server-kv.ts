// The recipes' store when they run inside the member (the v3lock / v3election services):
// requests go straight to the EtcdServer with the caller's credentials, and watches are
// ordinary watch sessions, so permissions apply as they would to the caller's own requests.

import { LeaseGrantRequest, WatchRequest } from '../gen/etcdserverpb/rpc.js';
import type { RequestAuth } from '../server/auth-gate.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { EtcdError, GrpcCode } from '../server/errors.js';
import { WatchSession } from '../server/watch-session.js';
import { AsyncQueue } from './async-queue.js';
import type { ConcurrencyKv, WatchBatch } from './kv-port.js';

/** The TTL etcd's concurrency sessions grant when the caller names no lease. */
export const DEFAULT_SESSION_TTL = 60;

export function serverKv(server: EtcdServer, auth: RequestAuth): ConcurrencyKv {
  return {
    range: (r) => server.range(r, auth),
    txn: (r) => server.txn(r, auth),
    deleteRange: (r) => server.deleteRange(r, auth),
    grantLease: async (ttl) => {
      if (!server.leases) throw new EtcdError(GrpcCode.Unimplemented, 'leases are not served by this member');
      return (await server.leases.grant(LeaseGrantRequest.fromPartial({ TTL: BigInt(ttl) }))).ID;
    },
    watch: (key, rangeEnd, startRevision, signal) => watchServer(server, auth, key, rangeEnd, startRevision, signal),
  };
}

async function* watchServer(server: EtcdServer, auth: RequestAuth, key: Buffer, rangeEnd: Buffer, startRevision: bigint, signal: AbortSignal): AsyncGenerator<WatchBatch> {
  const queue = new AsyncQueue<WatchBatch>();
  const session = new WatchSession(
    server.watchHost(),
    {
      send: (r) => {
        if (r.canceled) queue.fail(new EtcdError(GrpcCode.Unknown, r.cancelReason !== '' ? r.cancelReason : 'etcdserver: mvcc: required revision has been compacted'));
        else if (r.events.length > 0 && r.header) queue.push({ header: r.header, events: r.events });
      },
      // The recipes watch one key or a small prefix; their events are consumed at once.
      hasRoom: () => true,
    },
    auth,
  );
  const stop = () => queue.end();
  signal.addEventListener('abort', stop);
  try {
    if (signal.aborted) return;
    await session.handle(WatchRequest.fromPartial({ createRequest: { key, rangeEnd, startRevision } }));
    yield* queue;
  } finally {
    signal.removeEventListener('abort', stop);
    session.close();
  }
}
