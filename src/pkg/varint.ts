// Protobuf base-128 varints written straight into a Buffer, for the hand encoders on hot
// paths (stored KeyValue rows, the benchmark's requests). Numbers are non-negative and
// below 2^53; a negative int64 is written as protobuf does, as its 64-bit two's complement
// (10 bytes), through the bigint path.

export function varintSize(n: number): number {
  if (n < 0) return 10;
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Writes `n` at `pos`; returns the position after it. */
export function writeVarint(out: Buffer, pos: number, n: number): number {
  if (n < 0) return writeBigVarint(out, pos, BigInt.asUintN(64, BigInt(n)));
  while (n >= 128) {
    out[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  out[pos++] = n;
  return pos;
}

/** Size of an unsigned 64-bit varint. */
export function bigVarintSize(n: bigint): number {
  let size = 1;
  while (n >= 128n) {
    n >>= 7n;
    size++;
  }
  return size;
}

/** Writes an unsigned 64-bit `n` at `pos`; returns the position after it. */
export function writeBigVarint(out: Buffer, pos: number, n: bigint): number {
  while (n >= 128n) {
    out[pos++] = Number(n & 0x7fn) | 0x80;
    n >>= 7n;
  }
  out[pos++] = Number(n);
  return pos;
}
