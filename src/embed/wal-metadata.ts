// The WAL's metadata record: which member of which cluster wrote it (member id, then
// cluster id, 8 bytes each, big endian). Written when a member is created or restored
// from a snapshot; read on every restart.

export function encodeWalMetadata(memberId: bigint, clusterId: bigint): Uint8Array {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(memberId, 0);
  b.writeBigUInt64BE(clusterId, 8);
  return b;
}

export function decodeWalMetadata(m: Uint8Array): { memberId: bigint; clusterId: bigint } {
  const b = Buffer.from(m);
  return { memberId: b.readBigUInt64BE(0), clusterId: b.readBigUInt64BE(8) };
}
