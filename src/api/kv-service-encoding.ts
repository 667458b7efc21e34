// KVService with its replies encoded through the shared protobuf writer (see
// src/pkg/proto-encode.ts): the generated serializers grow a fresh writer from 128 bytes,
// slice it, and copy it once more into a Buffer, for every Range, Put, Txn reply.

import {
  CompactionResponse,
  DeleteRangeResponse,
  KVService,
  PutResponse,
  RangeResponse,
  TxnResponse,
} from '../gen/etcdserverpb/rpc.js';
import { encodeMessageToBuffer } from '../pkg/proto-encode.js';

export const KV_SERVICE_SHARED_ENCODER: typeof KVService = {
  ...KVService,
  range: { ...KVService.range, responseSerialize: (v: RangeResponse) => encodeMessageToBuffer(RangeResponse, v) },
  put: { ...KVService.put, responseSerialize: (v: PutResponse) => encodeMessageToBuffer(PutResponse, v) },
  deleteRange: { ...KVService.deleteRange, responseSerialize: (v: DeleteRangeResponse) => encodeMessageToBuffer(DeleteRangeResponse, v) },
  txn: { ...KVService.txn, responseSerialize: (v: TxnResponse) => encodeMessageToBuffer(TxnResponse, v) },
  compact: { ...KVService.compact, responseSerialize: (v: CompactionResponse) => encodeMessageToBuffer(CompactionResponse, v) },
};
