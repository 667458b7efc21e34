// Requests the recipes share: "the oldest/newest key under a prefix" and "wait until a key
// is deleted", the building blocks of etcd's queue-by-create-revision protocol.

import { Compare, Compare_CompareResult, Compare_CompareTarget, RangeRequest, RangeRequest_SortOrder, RangeRequest_SortTarget, type ResponseHeader } from '../gen/etcdserverpb/rpc.js';
import { Event_EventType } from '../gen/mvccpb/kv.js';
import { ConcurrencyErrors } from './errors.js';
import { prefixRangeEnd, type ConcurrencyKv } from './kv-port.js';

/** The key under `prefix` created first: the current owner or leader. */
export function firstCreated(prefix: Buffer): RangeRequest {
  return RangeRequest.fromPartial({
    key: prefix,
    rangeEnd: prefixRangeEnd(prefix),
    sortTarget: RangeRequest_SortTarget.CREATE,
    sortOrder: RangeRequest_SortOrder.ASCEND,
    limit: 1n,
  });
}

/** The newest key under `prefix` created at or before `maxCreateRev`: the one to queue behind. */
function lastCreatedBefore(prefix: Buffer, maxCreateRev: bigint): RangeRequest {
  return RangeRequest.fromPartial({
    key: prefix,
    rangeEnd: prefixRangeEnd(prefix),
    sortTarget: RangeRequest_SortTarget.CREATE,
    sortOrder: RangeRequest_SortOrder.DESCEND,
    limit: 1n,
    maxCreateRevision: maxCreateRev,
  });
}

export function createRevisionIs(key: Buffer, rev: bigint): Compare {
  return Compare.fromPartial({ key, target: Compare_CompareTarget.CREATE, result: Compare_CompareResult.EQUAL, createRevision: rev });
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw ConcurrencyErrors.Canceled;
}

/** Resolves once `key` is deleted at or after revision `rev`. */
async function waitDelete(kv: ConcurrencyKv, key: Buffer, rev: bigint, signal: AbortSignal): Promise<void> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener('abort', onAbort);
  try {
    for await (const batch of kv.watch(key, Buffer.alloc(0), rev, stop.signal)) {
      if (batch.events.some((e) => e.type === Event_EventType.DELETE)) return;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    stop.abort();
  }
  throwIfAborted(signal);
  throw ConcurrencyErrors.LostWatcher;
}

/**
 * Waits until no key under `prefix` has a create revision at or below `maxCreateRev`, i.e.
 * every earlier contender is gone; answers the header of the read that saw none left.
 */
export async function waitDeletes(kv: ConcurrencyKv, prefix: Buffer, maxCreateRev: bigint, signal: AbortSignal): Promise<ResponseHeader | undefined> {
  for (;;) {
    throwIfAborted(signal);
    const resp = await kv.range(lastCreatedBefore(prefix, maxCreateRev));
    const last = resp.kvs[0];
    if (!last) return resp.header;
    await waitDelete(kv, Buffer.from(last.key), resp.header?.revision ?? 0n, signal);
  }
}
