// etcd's distributed mutex: every contender puts `<name>/<lease hex>` (bound to its lease)
// and holds the lock once no key under `<name>/` is older than its own. Contenders queue
// by create revision, each watching only the one just ahead of it, so a release wakes one
// waiter. A holder whose lease expires loses its key and with it the lock.

import { DeleteRangeRequest, PutRequest, RangeRequest, TxnRequest, type ResponseHeader } from '../gen/etcdserverpb/rpc.js';
import { createRevisionIs, firstCreated, waitDeletes } from './ops.js';
import type { ConcurrencyKv } from './kv-port.js';

export interface HeldLock {
  /** `<name>/<lease hex>`: what Unlock deletes. */
  key: Buffer;
  /** The header of the request that saw the lock free (its revision is ETCD_LOCK_REV). */
  header: ResponseHeader | undefined;
}

export function lockKey(name: Buffer, lease: bigint): Buffer {
  return Buffer.concat([name, Buffer.from(`/${lease.toString(16)}`)]);
}

/**
 * Blocks until the lock `name` is held under `lease`. When waiting fails (aborted, watch
 * lost) the contender's key is deleted again, so it does not block those queued behind it.
 */
export async function acquireLock(kv: ConcurrencyKv, name: Buffer, lease: bigint, signal: AbortSignal): Promise<HeldLock> {
  const prefix = Buffer.concat([name, Buffer.from('/')]);
  const key = lockKey(name, lease);
  const resp = await kv.txn(
    TxnRequest.fromPartial({
      compare: [createRevisionIs(key, 0n)],
      success: [{ requestPut: PutRequest.fromPartial({ key, lease }) }, { requestRange: firstCreated(prefix) }],
      // Already queued under this lease (a retried request): keep the original place.
      failure: [{ requestRange: RangeRequest.fromPartial({ key }) }, { requestRange: firstCreated(prefix) }],
    }),
  );
  let myRev = resp.header?.revision ?? 0n;
  if (!resp.succeeded) myRev = resp.responses[0]?.responseRange?.kvs[0]?.createRevision ?? myRev;
  const owner = resp.responses[1]?.responseRange?.kvs[0];
  if (!owner || owner.createRevision === myRev) return { key, header: resp.header };
  try {
    const header = await waitDeletes(kv, prefix, myRev - 1n, signal);
    return { key, header };
  } catch (err) {
    await kv.deleteRange(DeleteRangeRequest.fromPartial({ key })).catch(() => undefined);
    throw err;
  }
}

export async function releaseLock(kv: ConcurrencyKv, key: Buffer): Promise<ResponseHeader | undefined> {
  return (await kv.deleteRange(DeleteRangeRequest.fromPartial({ key }))).header;
}
