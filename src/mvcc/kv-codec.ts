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
import type { KeyValue } from './types.js';

export function encodeKeyValue(kv: KeyValue): Buffer {
  return Buffer.from(
    PbKeyValue.encode({
      key: kv.key,
      value: kv.value,
      createRevision: BigInt(kv.createRevision),
      modRevision: BigInt(kv.modRevision),
      version: BigInt(kv.version),
      lease: kv.lease,
    }).finish(),
  );
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
