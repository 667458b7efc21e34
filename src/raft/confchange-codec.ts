// Binary form of a ConfChange carried in a ConfChange entry's data:
//   type u8, nodeId u64 (big endian), id u64 (big endian), context (rest).
// Pure functions over Uint8Array/DataView: the raft core stays free of node:*.

import type { ConfChange } from './types.js';

const HEADER_BYTES = 17;

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + cc.context.length);
  const dv = new DataView(out.buffer);
  dv.setUint8(0, cc.type);
  dv.setBigUint64(1, BigInt.asUintN(64, cc.nodeId));
  dv.setBigUint64(9, BigInt.asUintN(64, cc.id));
  out.set(cc.context, HEADER_BYTES);
  return out;
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  if (data.length < HEADER_BYTES) throw new Error(`raft: conf change of ${data.length} bytes is too short`);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return {
    type: dv.getUint8(0),
    nodeId: dv.getBigUint64(1),
    id: dv.getBigUint64(9),
    context: data.slice(HEADER_BYTES),
  };
}
