// The wire codec of Lease.LeaseKeepAlive's messages, by hand for the shapes every client
// sends: a request that is the lease id alone, a response of header, id and TTL. The
// generated codec built a BinaryReader per request and, per response, wrote through the
// shared writer with a fork for the header, then copied the result; together about as much
// CPU as the renewal itself. Anything else (unknown fields, a repeated id, out-of-range
// header numbers) goes to the generated codec; test/api/lease-keepalive-codec.test.ts
// compares the two.

import { LeaseKeepAliveRequest, LeaseKeepAliveResponse, type ResponseHeader } from '../gen/etcdserverpb/rpc.js';
import { uint64FieldSize, writeUint64Field } from '../pkg/varint.js';
import { headerFieldSize, isHandEncodable, writeHeaderField } from './response-header-codec.js';

const ID_TAG = 1 << 3;

/** The ID of an encoded LeaseKeepAliveRequest. */
export function decodeKeepAliveId(body: Uint8Array): bigint {
  const n = body.length;
  if (n === 0) return 0n;
  if (body[0] === ID_TAG && n <= 11) {
    const id = readInt64To(body, 1);
    if (id !== undefined) return id;
  }
  return LeaseKeepAliveRequest.decode(body).ID;
}

/**
 * The int64 varint from `pos` to the end of `b`; undefined when it does not end exactly
 * there (the generated decoder then sorts the message out). Read as two 32-bit halves, so
 * only the final value is a bigint.
 */
function readInt64To(b: Uint8Array, pos: number): bigint | undefined {
  let lo = 0;
  let hi = 0;
  for (let shift = 0; pos < b.length; shift += 7) {
    const byte = b[pos++]!;
    const bits = byte & 0x7f;
    // The tenth byte holds bit 63 alone; anything more is the generated decoder's business.
    if (shift === 63 && bits > 1) return undefined;
    if (shift < 28) lo |= bits << shift;
    else if (shift === 28) {
      lo |= bits << 28;
      hi = bits >>> 4;
    } else hi |= bits << (shift - 32);
    if (byte < 0x80) {
      if (pos !== b.length) return undefined;
      if (hi === 0) return BigInt(lo >>> 0);
      return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
    }
    if (shift === 63) return undefined;
  }
  return undefined;
}

/** An encoded LeaseKeepAliveResponse; ttlSec is a whole number of seconds, 0 or more. */
export function encodeKeepAliveResponse(header: ResponseHeader, id: bigint, ttlSec: number): Buffer {
  const ttl = BigInt(ttlSec);
  if (!isHandEncodable(header) || BigInt.asIntN(64, id) !== id || ttl > 0x7fffffffffffffffn) {
    return Buffer.from(LeaseKeepAliveResponse.encode({ header, ID: id, TTL: ttl }).finish());
  }
  // An int64 goes on the wire as its 64-bit two's complement.
  const wireId = BigInt.asUintN(64, id);
  const headerField = encodedHeader(header);
  const out = Buffer.allocUnsafe(headerField.length + uint64FieldSize(wireId) + uint64FieldSize(ttl));
  out.set(headerField, 0);
  let pos = headerField.length;
  pos = writeUint64Field(out, pos, 2 << 3, wireId);
  writeUint64Field(out, pos, 3 << 3, ttl);
  return out;
}

/** The last header encoded: keep-alives between two writes (and terms) all carry the same one. */
let lastHeader: { h: ResponseHeader; bytes: Buffer } | undefined;

function encodedHeader(h: ResponseHeader): Buffer {
  const last = lastHeader?.h;
  if (last && last.revision === h.revision && last.raftTerm === h.raftTerm && last.memberId === h.memberId && last.clusterId === h.clusterId) {
    return lastHeader!.bytes;
  }
  const bytes = Buffer.allocUnsafe(headerFieldSize(h));
  writeHeaderField(bytes, 0, h);
  lastHeader = { h: { ...h }, bytes };
  return bytes;
}
