// How a KeyValue is stored in the `key` bucket: the protobuf encoding of mvccpb.KeyValue,
// byte for byte what etcd stores, so files and hashes are easy to compare with etcd's:
//
//   field 1 key             bytes   (tag 0x0a)
//   field 2 create_revision int64   (tag 0x10)
//   field 3 mod_revision    int64   (tag 0x18)
//   field 4 version         int64   (tag 0x20)
//   field 5 value           bytes   (tag 0x2a)
//   field 6 lease           int64   (tag 0x30)
//
// Zero fields are omitted. A tombstone is stored as just the key, as etcd stores it.
// Example: key "foo", value "bar", created 2, modified 3, version 2, no lease →
//   0a 03 66 6f 6f 10 02 18 03 20 02 2a 03 62 61 72

import { KeyValue as PbKeyValue } from '../gen/mvccpb/kv.js';
import { bytesFieldSize, uint64FieldSize, varintSize, writeBytesField, writeUint64Field, writeVarintField } from '../pkg/varint.js';
import type { KeyValue } from './types.js';

/**
 * Written by hand into one buffer of the exact size: the generated encoder grows its buffer
 * by doubling from 128 bytes, slices the result, and Buffer.from copied it once more; that
 * was ~1.5% of the server's CPU under a 50-client put load. The output is the same bytes
 * (test/mvcc/kv-codec.test.ts compares the two).
 */
export function encodeKeyValue(kv: KeyValue): Buffer {
  return encode(kv, false);
}

/**
 * encodeKeyValue, and `kv.key` and `kv.value` then point into the encoding: the kv keeps
 * no reference to the caller's Buffers (a request's, say) without copies of its own, so a
 * put copies its key and value once, into the stored bytes, instead of three times.
 */
export function encodeKeyValueAdopting(kv: KeyValue): Buffer {
  return encode(kv, true);
}

function encode(kv: KeyValue, adopt: boolean): Buffer {
  const lease = kv.lease === 0n ? 0n : BigInt.asUintN(64, kv.lease);
  let size = 0;
  if (kv.key.length > 0) size += bytesFieldSize(kv.key.length);
  if (kv.createRevision !== 0) size += 1 + varintSize(kv.createRevision);
  if (kv.modRevision !== 0) size += 1 + varintSize(kv.modRevision);
  if (kv.version !== 0) size += 1 + varintSize(kv.version);
  if (kv.value.length > 0) size += bytesFieldSize(kv.value.length);
  size += uint64FieldSize(lease);
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  if (kv.key.length > 0) {
    pos = writeBytesField(out, pos, 0x0a, kv.key);
    if (adopt) kv.key = out.subarray(pos - kv.key.length, pos);
  }
  if (kv.createRevision !== 0) pos = writeVarintField(out, pos, 0x10, kv.createRevision);
  if (kv.modRevision !== 0) pos = writeVarintField(out, pos, 0x18, kv.modRevision);
  if (kv.version !== 0) pos = writeVarintField(out, pos, 0x20, kv.version);
  if (kv.value.length > 0) {
    pos = writeBytesField(out, pos, 0x2a, kv.value);
    if (adopt) kv.value = out.subarray(pos - kv.value.length, pos);
  }
  writeUint64Field(out, pos, 0x30, lease);
  // An empty value is not written; an empty view of the caller's Buffer would still pin it.
  if (adopt && kv.value.length === 0) kv.value = out.subarray(0, 0);
  return out;
}

export function decodeKeyValue(bytes: Uint8Array): KeyValue {
  const kv = PbKeyValue.decode(bytes);
  return {
    key: kv.key,
    value: kv.value,
    createRevision: Number(kv.createRevision),
    modRevision: Number(kv.modRevision),
    version: Number(kv.version),
    lease: kv.lease,
  };
}

/** What a tombstone stores: the key alone. */
export function encodeTombstone(key: Buffer): Buffer {
  return encodeKeyValue({ key, value: Buffer.alloc(0), createRevision: 0, modRevision: 0, version: 0, lease: 0n });
}
