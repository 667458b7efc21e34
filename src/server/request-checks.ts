// Validation that etcd performs before a KV request is proposed to raft. Rejecting bad
// input here means a malformed request never reaches the log, so it can never be
// half-applied on some members and not others.

import type {
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from '../gen/etcdserverpb/rpc.js';
import { Errors } from './errors.js';

export function checkRangeRequest(r: RangeRequest): void {
  if (r.key.length === 0) throw Errors.EmptyKey;
}

export function checkPutRequest(r: PutRequest): void {
  if (r.key.length === 0) throw Errors.EmptyKey;
  if (r.ignoreValue && r.value.length !== 0) throw Errors.ValueProvided;
  if (r.ignoreLease && r.lease !== 0n) throw Errors.LeaseProvided;
}

export function checkDeleteRequest(r: DeleteRangeRequest): void {
  if (r.key.length === 0) throw Errors.EmptyKey;
}

/**
 * Checks a txn against `maxTxnOps` (per branch and for the compares), checks every op
 * recursively, and refuses a txn that writes the same key twice in one branch (see
 * `collectWrites`).
 */
export function checkTxnRequest(r: TxnRequest, maxTxnOps: number): void {
  checkTxnShape(r, maxTxnOps);
  collectWrites(r.success);
  collectWrites(r.failure);
}

function checkTxnShape(r: TxnRequest, maxTxnOps: number): void {
  if (r.compare.length > maxTxnOps || r.success.length > maxTxnOps || r.failure.length > maxTxnOps) {
    throw Errors.TooManyOps;
  }
  for (const c of r.compare) {
    if (c.key.length === 0) throw Errors.EmptyKey;
  }
  for (const op of r.success) checkRequestOp(op, maxTxnOps);
  for (const op of r.failure) checkRequestOp(op, maxTxnOps);
}

function checkRequestOp(op: RequestOp, maxTxnOps: number): void {
  if (op.requestRange) checkRangeRequest(op.requestRange);
  else if (op.requestPut) checkPutRequest(op.requestPut);
  else if (op.requestDeleteRange) checkDeleteRequest(op.requestDeleteRange);
  else if (op.requestTxn) checkTxnShape(op.requestTxn, maxTxnOps);
  // etcd refuses an op with no request set with this (surprising but observable) error.
  else throw Errors.KeyNotFound;
}

/** A deleted interval [start, end); `end === undefined` is a single key. */
interface DeletedInterval {
  start: Buffer;
  end: Buffer | undefined;
}

/** Keys written and intervals deleted by one branch, including its nested txns. */
interface BranchWrites {
  puts: Set<string>;
  dels: DeletedInterval[];
}

/**
 * The range end is taken literally, as etcd's check takes it: a from-key delete
 * (range end "\0") compares as the empty interval [key, "\0") and so never conflicts.
 */
function intervalOf(key: Buffer, rangeEnd: Buffer): DeletedInterval {
  return { start: key, end: rangeEnd.length === 0 ? undefined : rangeEnd };
}

function deletes(dels: DeletedInterval[], key: Buffer): boolean {
  for (const d of dels) {
    if (d.end === undefined) {
      if (Buffer.compare(d.start, key) === 0) return true;
    } else if (Buffer.compare(d.start, key) <= 0 && Buffer.compare(key, d.end) < 0) {
      return true;
    }
  }
  return false;
}

/**
 * Collects the writes of one branch and throws DuplicateKey when a key would be written
 * twice in a single revision: two puts of one key, or a put of a key that a delete in
 * the same branch (or in a nested txn) covers. A nested txn's success and failure
 * branches are mutually exclusive, so the same key may appear in both of them.
 *
 * Keys are compared as latin1 strings, which map bytes one-to-one, so binary keys work.
 */
function collectWrites(ops: RequestOp[]): BranchWrites {
  const dels: DeletedInterval[] = [];
  for (const op of ops) {
    const d = op.requestDeleteRange;
    if (d) dels.push(intervalOf(d.key, d.rangeEnd));
  }

  const puts = new Set<string>();
  for (const op of ops) {
    const t = op.requestTxn;
    if (!t) continue;
    const then = collectWrites(t.success);
    const otherwise = collectWrites(t.failure);
    for (const k of then.puts) {
      if (puts.has(k) || deletes(dels, Buffer.from(k, 'latin1'))) throw Errors.DuplicateKey;
      puts.add(k);
    }
    for (const k of otherwise.puts) {
      if (puts.has(k) && !then.puts.has(k)) throw Errors.DuplicateKey;
      if (deletes(dels, Buffer.from(k, 'latin1'))) throw Errors.DuplicateKey;
      puts.add(k);
    }
    dels.push(...then.dels, ...otherwise.dels);
  }

  for (const op of ops) {
    const p = op.requestPut;
    if (!p) continue;
    const k = p.key.toString('latin1');
    if (puts.has(k) || deletes(dels, p.key)) throw Errors.DuplicateKey;
    puts.add(k);
  }
  return { puts, dels };
}
