// etcd's leader election over a prefix: each candidate puts `<name>/<lease hex>` with its
// proposal; the candidate whose key was created first leads. A leader is identified by
// its key and that key's create revision, so proclaim and resign act only while the very
// key that won is still in place (a re-created key with the same name does not count).

import { DeleteRangeRequest, PutRequest, RangeRequest, TxnRequest, type ResponseHeader } from '../gen/etcdserverpb/rpc.js';
import { Event_EventType, type KeyValue } from '../gen/mvccpb/kv.js';
import { ConcurrencyErrors } from './errors.js';
import type { ConcurrencyKv } from './kv-port.js';
import { prefixRangeEnd } from './kv-port.js';
import { createRevisionIs, firstCreated, waitDeletes } from './ops.js';

export interface Leadership {
  name: Buffer;
  key: Buffer;
  /** The create revision of `key`. */
  rev: bigint;
  lease: bigint;
}

export interface LeaderValue {
  header: ResponseHeader | undefined;
  kv: KeyValue;
}

function electionPrefix(name: Buffer): Buffer {
  return Buffer.concat([name, Buffer.from('/')]);
}

/** Blocks until this candidate leads; answers its leadership and the header of its put. */
export async function campaign(kv: ConcurrencyKv, name: Buffer, lease: bigint, value: Buffer, signal: AbortSignal): Promise<{ leader: Leadership; header: ResponseHeader | undefined }> {
  const prefix = electionPrefix(name);
  const key = Buffer.concat([prefix, Buffer.from(lease.toString(16))]);
  const resp = await kv.txn(
    TxnRequest.fromPartial({
      compare: [createRevisionIs(key, 0n)],
      success: [{ requestPut: PutRequest.fromPartial({ key, value, lease }) }],
      failure: [{ requestRange: RangeRequest.fromPartial({ key }) }],
    }),
  );
  const leader: Leadership = { name, key, rev: resp.header?.revision ?? 0n, lease };
  if (!resp.succeeded) {
    // Campaigning again under the same lease: keep the queue place, update the proposal.
    const existing = resp.responses[0]?.responseRange?.kvs[0];
    if (existing) leader.rev = existing.createRevision;
    if (existing && !Buffer.from(existing.value).equals(value)) {
      try {
        await proclaim(kv, leader, value);
      } catch (err) {
        await resign(kv, leader).catch(() => undefined);
        throw err;
      }
    }
  }
  try {
    await waitDeletes(kv, prefix, leader.rev - 1n, signal);
  } catch (err) {
    // Given up while queued: withdraw. A lost watch leaves the key for a retry to reuse.
    if (signal.aborted) await resign(kv, leader).catch(() => undefined);
    throw err;
  }
  return { leader, header: resp.header };
}

/** Replaces the leader's value; fails with "election: not leader" unless `leader` still leads. */
export async function proclaim(kv: ConcurrencyKv, leader: Leadership, value: Buffer): Promise<ResponseHeader | undefined> {
  const resp = await kv.txn(
    TxnRequest.fromPartial({
      compare: [createRevisionIs(leader.key, leader.rev)],
      success: [{ requestPut: PutRequest.fromPartial({ key: leader.key, value, lease: leader.lease }) }],
    }),
  );
  if (!resp.succeeded) throw ConcurrencyErrors.NotLeader;
  return resp.header;
}

/** Gives up leadership (or a queue place); a no-op when `leader`'s key is already gone. */
export async function resign(kv: ConcurrencyKv, leader: Leadership): Promise<ResponseHeader | undefined> {
  const resp = await kv.txn(
    TxnRequest.fromPartial({
      compare: [createRevisionIs(leader.key, leader.rev)],
      success: [{ requestDeleteRange: DeleteRangeRequest.fromPartial({ key: leader.key }) }],
    }),
  );
  return resp.header;
}

/** The current leader's key and value; "election: no leader" when nobody campaigns. */
export async function currentLeader(kv: ConcurrencyKv, name: Buffer): Promise<LeaderValue> {
  const resp = await kv.range(firstCreated(electionPrefix(name)));
  const first = resp.kvs[0];
  if (!first) throw ConcurrencyErrors.NoLeader;
  return { header: resp.header, kv: first };
}

/**
 * The leader's value each time it changes: the current leader (or the first one to appear),
 * each proclamation it makes, then the next leader once its key is deleted, and so on
 * until `signal` aborts or a watch fails.
 */
export async function* observe(kv: ConcurrencyKv, name: Buffer, signal: AbortSignal): AsyncGenerator<LeaderValue> {
  const prefix = electionPrefix(name);
  while (!signal.aborted) {
    const resp = await kv.range(firstCreated(prefix));
    let current: LeaderValue | undefined = resp.kvs[0] ? { header: resp.header, kv: resp.kvs[0] } : undefined;
    if (!current) {
      // Nobody leads: the first candidate to put a key becomes leader.
      for await (const batch of kv.watch(prefix, prefixRangeEnd(prefix), resp.header?.revision ?? 0n, signal)) {
        const put = batch.events.find((e) => e.type === Event_EventType.PUT);
        if (put?.kv) {
          current = { header: { ...batch.header!, revision: put.kv.modRevision }, kv: put.kv };
          break;
        }
      }
      if (!current) return;
    }
    yield current;
    let deleted = false;
    for await (const batch of kv.watch(Buffer.from(current.kv.key), Buffer.alloc(0), (current.header?.revision ?? 0n) + 1n, signal)) {
      for (const e of batch.events) {
        if (e.type === Event_EventType.DELETE) {
          deleted = true;
          break;
        }
        if (e.kv) yield { header: batch.header, kv: e.kv };
      }
      if (deleted) break;
    }
    if (!deleted) return;
  }
}
