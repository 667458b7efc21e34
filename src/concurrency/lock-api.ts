// v3lockpb.Lock's two calls over the recipes, transport-free (gRPC and the JSON gateway
// both call these). As in etcd, Lock without a lease grants one with the concurrency
// session's default TTL and leaves it to expire: the lock lasts until Unlock or expiry.

import type { LockRequest, LockResponse, UnlockRequest, UnlockResponse } from '../gen/v3lockpb/v3lock.js';
import { asUnknown } from './errors.js';
import type { ConcurrencyKv } from './kv-port.js';
import { acquireLock, releaseLock } from './mutex.js';
import { DEFAULT_SESSION_TTL } from './server-kv.js';

export async function lock(kv: ConcurrencyKv, r: LockRequest, signal: AbortSignal): Promise<LockResponse> {
  try {
    const lease = r.lease !== 0n ? r.lease : await kv.grantLease(DEFAULT_SESSION_TTL);
    const held = await acquireLock(kv, Buffer.from(r.name), lease, signal);
    return { header: held.header, key: held.key };
  } catch (err) {
    throw asUnknown(err);
  }
}

export async function unlock(kv: ConcurrencyKv, r: UnlockRequest): Promise<UnlockResponse> {
  try {
    return { header: await releaseLock(kv, Buffer.from(r.key)) };
  } catch (err) {
    throw asUnknown(err);
  }
}
