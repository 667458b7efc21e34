// A ResponseHeader as field 1 of a reply, written by hand into the reply's own buffer, for
// the hand-encoded replies of hot paths (put-codec.ts, lease-keepalive-codec.ts). The bytes
// are the generated encoder's: fields in number order, zeros left out.

import type { ResponseHeader } from '../gen/etcdserverpb/rpc.js';
import { isU64, uint64FieldSize, writeUint64Field } from '../pkg/varint.js';

/** revision is an int64: past this the generated encoder refuses it. */
const MAX_I64 = 0x7fffffffffffffffn;

/** Whether writeHeaderField can write `h` (its numbers are in range; else use the generated encoder). */
export function isHandEncodable(h: ResponseHeader): boolean {
  return isU64(h.clusterId) && isU64(h.memberId) && h.revision >= 0n && h.revision <= MAX_I64 && isU64(h.raftTerm);
}

/** The header fields that rarely change (cluster and member id), encoded once. */
let idsFor: { clusterId: bigint; memberId: bigint; bytes: Buffer } | undefined;

function encodedIds(h: ResponseHeader): Buffer {
  if (idsFor && idsFor.clusterId === h.clusterId && idsFor.memberId === h.memberId) return idsFor.bytes;
  const scratch = Buffer.allocUnsafe(22);
  let pos = writeUint64Field(scratch, 0, 0x08, h.clusterId);
  pos = writeUint64Field(scratch, pos, 0x10, h.memberId);
  idsFor = { clusterId: h.clusterId, memberId: h.memberId, bytes: Buffer.from(scratch.subarray(0, pos)) };
  return idsFor.bytes;
}

/** Bytes writeHeaderField writes for `h` (tag and length included). */
export function headerFieldSize(h: ResponseHeader): number {
  return 2 + encodedIds(h).length + uint64FieldSize(h.revision) + uint64FieldSize(h.raftTerm);
}

/** Writes `h` as field 1 at `pos`; returns the position after it. */
export function writeHeaderField(out: Buffer, pos: number, h: ResponseHeader): number {
  const start = pos;
  pos += 2;
  const ids = encodedIds(h);
  out.set(ids, pos);
  pos += ids.length;
  pos = writeUint64Field(out, pos, 0x18, h.revision);
  pos = writeUint64Field(out, pos, 0x20, h.raftTerm);
  // The header's length (at most 44) fits its one byte.
  out[start] = 0x0a;
  out[start + 1] = pos - start - 2;
  return pos;
}
