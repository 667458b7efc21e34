// The bytes of a proposal (an InternalRaftRequest, what the raft log and the WAL hold).
//
// A put, the commonest proposal, is written by hand (encodePutProposal) into one Buffer of
// the exact size: the generated encoder goes through the shared writer, forks twice
// (header and put), checks every 64-bit field with a bigint round trip and slices the
// result. The output is byte for byte the generated encoder's (test/server/
// proposal-encoding.test.ts compares them), so the applier's hand-off check (proposal-handoff.ts) and every reader see the
// same entry either way. Other proposals go through the generated encoder.

import { InternalRaftRequest } from '../gen/etcdserverpb/raft_internal.js';
import { encodeMessage } from '../pkg/proto-encode.js';
import { bytesFieldSize, isU64, uint64FieldSize, varintSize, writeBytesField, writeUint64Field, writeVarint, writeVarintField } from '../pkg/varint.js';

/** Any proposal, through the generated encoder. */
export function encodeProposal(req: InternalRaftRequest): Uint8Array {
  return encodeMessage(InternalRaftRequest, req);
}

/**
 * A put proposal: `req` carries a header and a put and nothing else (the caller knows;
 * any other field would be left out). ID must be 0, as the proposer sends it. By hand
 * unless a value is one the generated encoder would refuse (a 64-bit field out of range),
 * which then refuses it.
 */
export function encodePutProposal(req: InternalRaftRequest, alloc: (size: number) => Buffer = allocUnsafe): Uint8Array {
  return encodePutByHand(req, alloc) ?? encodeMessage(InternalRaftRequest, req);
}

function allocUnsafe(size: number): Buffer {
  return Buffer.allocUnsafe(size);
}

/** `alloc`: where the bytes go (the member's entry arena, so the raft log keeps them without a copy). */
function encodePutByHand(req: InternalRaftRequest, alloc: (size: number) => Buffer): Buffer | undefined {
  const put = req.put;
  const h = req.header;
  if (put === undefined || h === undefined || req.ID !== 0n) return undefined;
  if (!isU64(h.ID) || !isU64(h.authRevision)) return undefined;
  const lease = put.lease === 0n ? 0n : BigInt.asUintN(64, put.lease);
  if (lease !== 0n && BigInt.asIntN(64, put.lease) !== put.lease) return undefined;

  const userLen = h.username === '' ? 0 : Buffer.byteLength(h.username);
  let headerLen = 0;
  headerLen += uint64FieldSize(h.ID);
  if (userLen > 0) headerLen += bytesFieldSize(userLen);
  headerLen += uint64FieldSize(h.authRevision);
  let putLen = 0;
  if (put.key.length > 0) putLen += bytesFieldSize(put.key.length);
  if (put.value.length > 0) putLen += bytesFieldSize(put.value.length);
  putLen += uint64FieldSize(lease);
  if (put.prevKv) putLen += 2;
  if (put.ignoreValue) putLen += 2;
  if (put.ignoreLease) putLen += 2;

  // header: field 100, bytes (tag 802 = a2 06); put: field 4, bytes (tag 0x22).
  const out = alloc(2 + varintSize(headerLen) + headerLen + 1 + varintSize(putLen) + putLen);
  out[0] = 0xa2;
  out[1] = 0x06;
  let pos = writeVarint(out, 2, headerLen);
  pos = writeUint64Field(out, pos, 0x08, h.ID);
  if (userLen > 0) {
    pos = writeVarintField(out, pos, 0x12, userLen);
    pos += out.write(h.username, pos, 'utf8');
  }
  pos = writeUint64Field(out, pos, 0x18, h.authRevision);
  pos = writeVarintField(out, pos, 0x22, putLen);
  if (put.key.length > 0) pos = writeBytesField(out, pos, 0x0a, put.key);
  if (put.value.length > 0) pos = writeBytesField(out, pos, 0x12, put.value);
  pos = writeUint64Field(out, pos, 0x18, lease);
  if (put.prevKv) pos = writeFlag(out, pos, 0x20);
  if (put.ignoreValue) pos = writeFlag(out, pos, 0x28);
  if (put.ignoreLease) pos = writeFlag(out, pos, 0x30);
  return out;
}

function writeFlag(out: Buffer, pos: number, tag: number): number {
  out[pos] = tag;
  out[pos + 1] = 1;
  return pos + 2;
}

