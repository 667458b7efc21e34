// The meaning of etcd's KV requests, applied to a store transaction. Every member runs
// this for every committed entry, so it must be deterministic: it reads nothing but the
// transaction and the request.
//
// etcd_mvcc_range_total counts the reads etcd's applier makes through its store
// transactions: txn.range() here is such a read, txn.peek() one etcd does not make (or
// makes outside them), so the counters agree with etcd's for the same requests.

import type { KeyValue } from '../gen/mvccpb/kv.js';
import type { ResponseHeader } from '../gen/etcdserverpb/rpc.js';
import {
  Compare,
  Compare_CompareResult,
  Compare_CompareTarget,
  RangeRequest_SortOrder,
  RangeRequest_SortTarget,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type RequestOp,
  type ResponseOp,
  type TxnRequest,
  type TxnResponse,
} from '../gen/etcdserverpb/rpc.js';
import { Errors } from './errors.js';
import type { KvRead, KvWrite, StoredKeyValue } from './kv-view.js';

/** Answers whether a lease exists; puts naming an unknown lease are refused. */
export interface LeaseLookup {
  has(id: bigint): boolean;
  /** Called after a put attaches `key` to a lease (and detaches it from the previous one). */
  attach?(id: bigint, prev: bigint, key: Buffer): void;
  detach?(id: bigint, key: Buffer): void;
  /** Keys attached to any lease; when 0, deletes skip looking up the keys they remove. */
  attachedKeyCount?(): number;
}

/**
 * A response header. The revision is written after the object is made, not in its literal:
 * V8 treats a field that is never written after construction as constant, and optimised
 * code relies on it. The generated decoders and fromPartial (watch responses, replies
 * forwarded between members) do write it afterwards, and the first time one did, V8 threw
 * away the optimised code of every request path that builds headers (put, range, txn: 15
 * functions with --trace-deopt) and recompiled it under load. Built here, the field is
 * mutable from the member's first request on, before anything is optimised.
 */
export function responseHeader(clusterId: bigint, memberId: bigint, revision: bigint, raftTerm: bigint): ResponseHeader {
  const header: ResponseHeader = { clusterId, memberId, revision: 0n, raftTerm };
  header.revision = revision;
  return header;
}

/**
 * The header of a response produced inside the applier carries only the revision; the
 * member fills in cluster id, member id and term on the outermost response. Responses
 * nested in a txn keep this revision-only header, as etcd's do.
 */
export function revisionHeader(rev: number): ResponseHeader {
  return responseHeader(0n, 0n, BigInt(rev), 0n);
}

const emptyHeader = (): ResponseHeader => ({ clusterId: 0n, memberId: 0n, revision: 0n, raftTerm: 0n });

export const noLeases: LeaseLookup = { has: () => false };

export function toProtoKv(kv: StoredKeyValue): KeyValue {
  return {
    key: kv.key,
    createRevision: BigInt(kv.createRevision),
    modRevision: BigInt(kv.modRevision),
    version: BigInt(kv.version),
    value: kv.value,
    lease: kv.lease,
  };
}

function revNumber(v: bigint): number {
  // Revisions past 2^53 cannot exist in a live store; clamp so comparisons stay correct.
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

type SortKey = (kv: StoredKeyValue) => number | Buffer;

function sortKeyOf(target: RangeRequest_SortTarget): SortKey {
  switch (target) {
    case RangeRequest_SortTarget.VERSION:
      return (kv) => kv.version;
    case RangeRequest_SortTarget.CREATE:
      return (kv) => kv.createRevision;
    case RangeRequest_SortTarget.MOD:
      return (kv) => kv.modRevision;
    case RangeRequest_SortTarget.VALUE:
      return (kv) => kv.value;
    default:
      return (kv) => kv.key;
  }
}

function compareSortKeys(a: number | Buffer, b: number | Buffer): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return Buffer.compare(a as Buffer, b as Buffer);
}

/**
 * Range with etcd's post-processing: revision filters, sorting and the limit are applied
 * after the store read, so when any of them is requested the store reads the whole range.
 * `count` is the store's count of the range, before filters.
 */
export function applyRange(txn: KvRead, r: RangeRequest): RangeResponse {
  const limit = revNumber(r.limit);
  const minMod = revNumber(r.minModRevision);
  const maxMod = revNumber(r.maxModRevision);
  const minCreate = revNumber(r.minCreateRevision);
  const maxCreate = revNumber(r.maxCreateRevision);
  let order = r.sortOrder;
  if (r.sortTarget !== RangeRequest_SortTarget.KEY && order === RangeRequest_SortOrder.NONE) {
    order = RangeRequest_SortOrder.ASCEND;
  }
  const needsAll = order !== RangeRequest_SortOrder.NONE || minMod !== 0 || maxMod !== 0 || minCreate !== 0 || maxCreate !== 0;
  // One extra kv tells whether there are more than `limit`.
  const storeLimit = needsAll || limit <= 0 ? 0 : limit + 1;

  const rr = txn.range(r.key, r.rangeEnd, { rev: revNumber(r.revision), limit: storeLimit, countOnly: r.countOnly });
  let kvs = rr.kvs;
  if (minMod !== 0) kvs = kvs.filter((kv) => kv.modRevision >= minMod);
  if (maxMod !== 0) kvs = kvs.filter((kv) => kv.modRevision <= maxMod);
  if (minCreate !== 0) kvs = kvs.filter((kv) => kv.createRevision >= minCreate);
  if (maxCreate !== 0) kvs = kvs.filter((kv) => kv.createRevision <= maxCreate);

  if (order !== RangeRequest_SortOrder.NONE) {
    const key = sortKeyOf(r.sortTarget);
    const sign = order === RangeRequest_SortOrder.DESCEND ? -1 : 1;
    // Ties keep key order (the store returns keys ascending), so output is deterministic.
    kvs = kvs
      .map((kv, i) => ({ kv, i }))
      .sort((a, b) => sign * compareSortKeys(key(a.kv), key(b.kv)) || a.i - b.i)
      .map((x) => x.kv);
  }

  let more = false;
  if (limit > 0 && kvs.length > limit) {
    kvs = kvs.slice(0, limit);
    more = true;
  }
  return {
    header: revisionHeader(rr.rev),
    kvs: r.countOnly ? [] : kvs.map((kv) => (r.keysOnly ? toProtoKv({ ...kv, value: Buffer.alloc(0) }) : toProtoKv(kv))),
    more,
    count: BigInt(rr.count),
  };
}

function getOne(txn: KvRead, key: Buffer): StoredKeyValue | undefined {
  return txn.range(key, Buffer.alloc(0), {}).kvs[0];
}

const NO_END = Buffer.alloc(0);

/**
 * Checks a put in a txn against the store without writing; throws the error the put
 * would fail with. etcd's order: the previous key first (a counted read), then the lease.
 */
function precheckTxnPut(txn: KvRead, r: PutRequest, leases: LeaseLookup): void {
  if ((r.ignoreValue || r.ignoreLease) && getOne(txn, r.key) === undefined) throw Errors.KeyNotFound;
  if (r.lease !== 0n && !r.ignoreLease && !leases.has(r.lease)) throw Errors.LeaseNotFound;
}

export function applyPut(txn: KvWrite, r: PutRequest, leases: LeaseLookup): PutResponse {
  if (r.lease !== 0n && !r.ignoreLease && !leases.has(r.lease)) throw Errors.LeaseNotFound;
  // The previous lease matters only when some key has a lease or this put sets one; the
  // common lease-free put skips the extra read.
  const trackLease = leases.attach !== undefined && (r.lease !== 0n || (leases.attachedKeyCount?.() ?? 1) > 0);
  // The request's own need for the previous pair is a read etcd makes; the lease bookkeeping's is not.
  const wantsPrev = r.prevKv || r.ignoreValue || r.ignoreLease;
  const prev = wantsPrev ? getOne(txn, r.key) : trackLease ? txn.peek(r.key, NO_END, {}).kvs[0] : undefined;
  if ((r.ignoreValue || r.ignoreLease) && prev === undefined) throw Errors.KeyNotFound;
  const value = r.ignoreValue && prev ? prev.value : r.value;
  const lease = r.ignoreLease && prev ? prev.lease : r.lease;
  txn.put(r.key, value, lease);
  // A put with another lease (or none) moves the key; --ignore-lease keeps it where it is.
  if (trackLease) leases.attach!(lease, prev?.lease ?? 0n, r.key);
  return { header: revisionHeader(txn.rev()), prevKv: r.prevKv && prev ? toProtoKv(prev) : undefined };
}

export function applyDeleteRange(txn: KvWrite, r: DeleteRangeRequest, leases: LeaseLookup = noLeases): DeleteRangeResponse {
  const lookLeases = leases.detach !== undefined && (leases.attachedKeyCount?.() ?? 1) > 0;
  const before = r.prevKv ? txn.range(r.key, r.rangeEnd, {}).kvs : lookLeases ? txn.peek(r.key, r.rangeEnd, {}).kvs : [];
  const prevKvs = r.prevKv ? before.map(toProtoKv) : [];
  const deleted = txn.deleteRange(r.key, r.rangeEnd);
  // A deleted key leaves its lease: revoking that lease later must not delete a newer key of the same name.
  if (lookLeases) for (const kv of before) if (kv.lease !== 0n) leases.detach!(kv.lease, kv.key);
  return { header: revisionHeader(txn.rev()), deleted: BigInt(deleted), prevKvs };
}

function compareValue(c: Compare, kv: StoredKeyValue | undefined): number {
  switch (c.target) {
    case Compare_CompareTarget.VALUE:
      return Buffer.compare(kv?.value ?? Buffer.alloc(0), c.value ?? Buffer.alloc(0));
    case Compare_CompareTarget.CREATE:
      return cmpBig(BigInt(kv?.createRevision ?? 0), c.createRevision ?? 0n);
    case Compare_CompareTarget.MOD:
      return cmpBig(BigInt(kv?.modRevision ?? 0), c.modRevision ?? 0n);
    case Compare_CompareTarget.VERSION:
      return cmpBig(BigInt(kv?.version ?? 0), c.version ?? 0n);
    case Compare_CompareTarget.LEASE:
      return cmpBig(kv?.lease ?? 0n, c.lease ?? 0n);
    default:
      return 0;
  }
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareHolds(c: Compare, kv: StoredKeyValue | undefined): boolean {
  const r = compareValue(c, kv);
  switch (c.result) {
    case Compare_CompareResult.EQUAL:
      return r === 0;
    case Compare_CompareResult.NOT_EQUAL:
      return r !== 0;
    case Compare_CompareResult.GREATER:
      return r > 0;
    case Compare_CompareResult.LESS:
      return r < 0;
    default:
      return false;
  }
}

/**
 * A compare holds when every key in its range satisfies it. A missing key compares as a
 * zero KeyValue (version 0, revisions 0, lease 0), except that a VALUE compare on a
 * missing key always fails: an absent value and an empty one cannot be told apart.
 */
export function evaluateCompare(txn: KvRead, c: Compare): boolean {
  const kvs = txn.range(c.key, c.rangeEnd, {}).kvs;
  if (kvs.length === 0) return c.target !== Compare_CompareTarget.VALUE && compareHolds(c, undefined);
  return kvs.every((kv) => compareHolds(c, kv));
}

/**
 * The branch each txn takes, outermost first then nested txns depth-first, decided
 * entirely against the state before the txn writes anything (as etcd does): a nested
 * txn's compares do not see the writes of the ops before it.
 */
function choosePath(txn: KvRead, r: TxnRequest, path: boolean[] = []): boolean[] {
  const succeeded = r.compare.every((c) => evaluateCompare(txn, c));
  path.push(succeeded);
  for (const op of succeeded ? r.success : r.failure) {
    if (op.requestTxn) choosePath(txn, op.requestTxn, path);
  }
  return path;
}

/** Reads the path decisions in the order `choosePath` wrote them. */
class PathCursor {
  private next = 0;
  constructor(private readonly path: boolean[]) {}
  take(): boolean {
    return this.path[this.next++] ?? false;
  }
}

/**
 * Throws the first error any op on the chosen path would raise, before anything is
 * written: a txn is all-or-nothing.
 */
function precheckOps(txn: KvRead, r: TxnRequest, cursor: PathCursor, leases: LeaseLookup): void {
  for (const op of cursor.take() ? r.success : r.failure) {
    if (op.requestRange) {
      const rev = revNumber(op.requestRange.revision);
      // etcd compares the revision with the store's bounds here, without a read.
      if (rev > 0) txn.peek(op.requestRange.key, op.requestRange.rangeEnd, { rev, limit: 1 });
    } else if (op.requestPut) {
      precheckTxnPut(txn, op.requestPut, leases);
    } else if (op.requestTxn) {
      precheckOps(txn, op.requestTxn, cursor, leases);
    }
  }
}

/**
 * A txn in one store transaction: its compares, checks and ops. etcd serves a read-only
 * txn this way; see decideTxn and runTxn for a txn that writes.
 */
export function applyTxn(txn: KvWrite, r: TxnRequest, leases: LeaseLookup): TxnResponse {
  return runTxn(txn, r, decideTxn(txn, r, leases), leases);
}

/**
 * The first half of a txn that writes: its compares decide the branches, and the ops on
 * them are checked, in a read transaction of its own (etcd's; its reads are counted
 * there, before the write transaction starts). Throws the error the txn fails with.
 */
export function decideTxn(txn: KvRead, r: TxnRequest, leases: LeaseLookup): boolean[] {
  const path = choosePath(txn, r);
  precheckOps(txn, r, new PathCursor(path), leases);
  return path;
}

/** The second half: the ops of the branches `path` (from decideTxn) chose. */
export function runTxn(txn: KvWrite, r: TxnRequest, path: boolean[], leases: LeaseLookup): TxnResponse {
  const resp = executeTxn(txn, r, new PathCursor(path), leases);
  resp.header = revisionHeader(txn.rev());
  return resp;
}

function executeTxn(txn: KvWrite, r: TxnRequest, cursor: PathCursor, leases: LeaseLookup): TxnResponse {
  const succeeded = cursor.take();
  const responses = (succeeded ? r.success : r.failure).map((op): ResponseOp => {
    if (op.requestRange) return { responseRange: applyRange(txn, op.requestRange) };
    if (op.requestPut) return { responsePut: applyPut(txn, op.requestPut, leases) };
    if (op.requestDeleteRange) return { responseDeleteRange: applyDeleteRange(txn, op.requestDeleteRange, leases) };
    if (op.requestTxn) return { responseTxn: executeTxn(txn, op.requestTxn, cursor, leases) };
    return {};
  });
  // Nested txn responses carry an empty header; the outermost one is set by applyTxn.
  return { header: emptyHeader(), succeeded, responses };
}

/** True when the txn can change the store, so it must go through raft. */
export function txnIsWrite(r: TxnRequest): boolean {
  const opWrites = (op: RequestOp): boolean =>
    op.requestPut !== undefined || op.requestDeleteRange !== undefined || (op.requestTxn !== undefined && txnIsWrite(op.requestTxn));
  return r.success.some(opWrites) || r.failure.some(opWrites);
}
