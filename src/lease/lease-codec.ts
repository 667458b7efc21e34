// How a lease is stored in the backend's `lease` bucket, as etcd stores it: the key is
// the lease id as 8 big-endian bytes (so the bucket iterates in id order), the value
// etcd's leasepb.Lease message { int64 ID = 1; int64 TTL = 2; int64 RemainingTTL = 3 }.
// Attached keys are not stored here: every key-value in mvcc carries its lease id, and
// the attachments are rebuilt from the key space at start-up.

import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';

export interface StoredLease {
  id: bigint;
  /** Granted TTL in seconds (after the minimum TTL was applied). */
  ttlSec: number;
  /** Remaining TTL in seconds from the last checkpoint; 0 = none. */
  remainingTtlSec: number;
}

export function leaseBucketKey(id: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, id));
  return b;
}

export function encodeLease(l: StoredLease): Buffer {
  const w = new BinaryWriter();
  if (l.id !== 0n) w.uint32(8).int64(l.id);
  if (l.ttlSec !== 0) w.uint32(16).int64(l.ttlSec);
  if (l.remainingTtlSec !== 0) w.uint32(24).int64(l.remainingTtlSec);
  return Buffer.from(w.finish());
}

export function decodeLease(b: Uint8Array): StoredLease {
  const r = new BinaryReader(b);
  const out: StoredLease = { id: 0n, ttlSec: 0, remainingTtlSec: 0 };
  while (r.pos < r.len) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        out.id = BigInt(r.int64().toString());
        break;
      case 2:
        out.ttlSec = Number(r.int64().toString());
        break;
      case 3:
        out.remainingTtlSec = Number(r.int64().toString());
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return out;
}
