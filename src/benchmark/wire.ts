// Hand encoders for the few small requests the benchmark sends. Encoding the bytes directly
// (instead of building ts-proto objects per request) keeps the client's per-request cost to
// one small Buffer, so the tool does not become what it measures.

import { varintSize, writeVarint } from '../pkg/varint.js';

/** Tag + length + bytes for a length-delimited field. */
function bytesFieldLen(len: number): number {
  return 1 + varintSize(len) + len;
}
function writeBytesField(buf: Buffer, pos: number, field: number, data: Uint8Array): number {
  buf[pos++] = (field << 3) | 2;
  pos = writeVarint(buf, pos, data.length);
  buf.set(data, pos);
  return pos + data.length;
}

/** etcdserverpb.PutRequest{key=1, value=2}. */
export function encodePut(key: Uint8Array, value: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(bytesFieldLen(key.length) + bytesFieldLen(value.length));
  writeBytesField(buf, writeBytesField(buf, 0, 1, key), 2, value);
  return buf;
}

export interface RangeOptions {
  end?: Uint8Array;
  limit?: number;
  serializable?: boolean;
  countOnly?: boolean;
}

/** etcdserverpb.RangeRequest{key=1, range_end=2, limit=3, serializable=7, count_only=9}. */
export function encodeRange(key: Uint8Array, o: RangeOptions = {}): Buffer {
  let len = bytesFieldLen(key.length);
  if (o.end && o.end.length > 0) len += bytesFieldLen(o.end.length);
  if (o.limit) len += 1 + varintSize(o.limit);
  if (o.serializable) len += 2;
  if (o.countOnly) len += 2;
  const buf = Buffer.allocUnsafe(len);
  let p = writeBytesField(buf, 0, 1, key);
  if (o.end && o.end.length > 0) p = writeBytesField(buf, p, 2, o.end);
  if (o.limit) {
    buf[p++] = 3 << 3;
    p = writeVarint(buf, p, o.limit);
  }
  if (o.serializable) {
    buf[p++] = 7 << 3;
    buf[p++] = 1;
  }
  if (o.countOnly) {
    buf[p++] = 9 << 3;
    buf[p++] = 1;
  }
  return buf;
}

/** A RequestOp{request_range=1 | request_put=2} wrapping an encoded request. */
export function encodeRequestOp(kind: 'range' | 'put', inner: Uint8Array): Buffer {
  const op = Buffer.allocUnsafe(bytesFieldLen(inner.length));
  writeBytesField(op, 0, kind === 'range' ? 1 : 2, inner);
  return op;
}

/** etcdserverpb.TxnRequest with only success=2 ops (no compares). */
export function encodeTxn(successOps: readonly Uint8Array[]): Buffer {
  let len = 0;
  for (const op of successOps) len += bytesFieldLen(op.length);
  const buf = Buffer.allocUnsafe(len);
  let p = 0;
  for (const op of successOps) p = writeBytesField(buf, p, 2, op);
  return buf;
}

/** etcdserverpb.LeaseGrantRequest{TTL=1}. */
export function encodeLeaseGrant(ttl: number): Buffer {
  const buf = Buffer.allocUnsafe(1 + varintSize(ttl));
  buf[0] = 1 << 3;
  writeVarint(buf, 1, ttl);
  return buf;
}

/** etcdserverpb.LeaseKeepAliveRequest{ID=1}; ids are positive int64, passed as bigint. */
export function encodeLeaseKeepAlive(id: bigint): Buffer {
  const bytes: number[] = [1 << 3];
  let v = BigInt.asUintN(64, id);
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Buffer.from(bytes);
}

/** etcdserverpb.WatchRequest{create_request=1{key=1, range_end=2}}. */
export function encodeWatchCreate(key: Uint8Array, end?: Uint8Array): Buffer {
  let innerLen = bytesFieldLen(key.length);
  if (end && end.length > 0) innerLen += bytesFieldLen(end.length);
  const inner = Buffer.allocUnsafe(innerLen);
  let p = writeBytesField(inner, 0, 1, key);
  if (end && end.length > 0) writeBytesField(inner, p, 2, end);
  const buf = Buffer.allocUnsafe(bytesFieldLen(innerLen));
  writeBytesField(buf, 0, 1, inner);
  return buf;
}

/** Go's binary.PutVarint (zig-zag) of n into a zeroed key of keySize bytes, as etcd's benchmark makes keys. */
export function benchKey(keySize: number, n: number, out: Buffer = Buffer.alloc(keySize)): Buffer {
  out.fill(0);
  let ux = n >= 0 ? n * 2 : -n * 2 - 1;
  let i = 0;
  while (ux >= 0x80 && i < out.length) {
    out[i++] = (ux & 0x7f) | 0x80;
    ux = Math.floor(ux / 128);
  }
  if (i < out.length) out[i] = ux;
  return out;
}
