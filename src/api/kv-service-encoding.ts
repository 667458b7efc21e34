// KVService with its replies encoded through the shared protobuf writer (see
// src/pkg/proto-encode.ts): the generated serializers grow a fresh writer from 128 bytes,
// slice it, and copy it once more into a Buffer, for every Range, Put, Txn reply.

import {
  CompactionResponse,
  DeleteRangeResponse,
  KVService,
  RangeResponse,
  TxnResponse,
} from '../gen/etcdserverpb/rpc.js';
import { encodeMessageToBuffer } from '../pkg/proto-encode.js';
import { decodePutRequest, encodePutResponse } from './put-codec.js';

export const KV_SERVICE_SHARED_ENCODER: typeof KVService = {
  ...KVService,
  range: { ...KVService.range, responseSerialize: (v: RangeResponse) => encodeMessageToBuffer(RangeResponse, v) },
  // Put, the hottest rpc, both ways through its hand codec (put-codec.ts).
  put: { ...KVService.put, requestDeserialize: decodePutRequest, responseSerialize: encodePutResponse },
  deleteRange: { ...KVService.deleteRange, responseSerialize: (v: DeleteRangeResponse) => encodeMessageToBuffer(DeleteRangeResponse, v) },
  txn: { ...KVService.txn, responseSerialize: (v: TxnResponse) => encodeMessageToBuffer(TxnResponse, v) },
  compact: { ...KVService.compact, responseSerialize: (v: CompactionResponse) => encodeMessageToBuffer(CompactionResponse, v) },
};
