// The recipes' store when they run in a client (etcdctl lock / elect), as etcdctl runs
// clientv3's concurrency package: plain KV, lease and watch calls over the connection.

import type { Client } from '../client/client.js';
import { ClientError } from '../client/errors.js';
import { AsyncQueue } from './async-queue.js';
import type { ConcurrencyKv, WatchBatch } from './kv-port.js';

/** `callTimeoutMs` bounds each unary call (etcdctl's --command-timeout); 0 waits indefinitely. */
export function clientKv(client: Client, callTimeoutMs = 0): ConcurrencyKv {
  const opts = callTimeoutMs > 0 ? { timeoutMs: callTimeoutMs } : undefined;
  return {
    range: (r) => client.range(r, opts),
    txn: (r) => client.txn(r, opts),
    deleteRange: (r) => client.deleteRange(r, opts),
    grantLease: async (ttl) => (await client.leaseGrant(BigInt(ttl), 0n, opts)).ID,
    watch: (key, rangeEnd, startRevision, signal) => watchClient(client, key, rangeEnd, startRevision, signal),
  };
}

async function* watchClient(client: Client, key: Buffer, rangeEnd: Buffer, startRevision: bigint, signal: AbortSignal): AsyncGenerator<WatchBatch> {
  const queue = new AsyncQueue<WatchBatch>();
  const stream = client.watchStream();
  const stop = () => queue.end();
  signal.addEventListener('abort', stop);
  try {
    if (signal.aborted) return;
    await stream.watch({ key, rangeEnd, startRevision }, (r) => {
      if (r.canceled) queue.fail(new ClientError(2, r.cancelReason !== '' ? r.cancelReason : 'etcdserver: mvcc: required revision has been compacted'));
      else if (r.events.length > 0 && r.header) queue.push({ header: r.header, events: r.events });
    });
    yield* queue;
  } finally {
    signal.removeEventListener('abort', stop);
    stream.close();
  }
}
