// Protobuf base-128 varints, and the fields made of them, written straight into a Buffer, for
// the hand encoders on hot paths (stored KeyValue rows, put requests, proposals and replies,
// watch responses, the benchmark's requests). Tags are one byte (field numbers below 16). Numbers are non-negative and
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

/**
 * Size of an unsigned 64-bit varint (0 <= n < 2^64). Below 2^32 it counts on a number; above,
 * it shifts the bigint once instead of once per byte (each bigint step allocates).
 */
export function bigVarintSize(n: bigint): number {
  if (n < 0x100000000n) {
    let v = Number(n);
    let size = 1;
    while (v >= 128) {
      v >>>= 7;
      size++;
    }
    return size;
  }
  // 2^32 <= n: 5 bytes cover 35 bits, each further 7 bits one more.
  let size = 5;
  for (let rest = Number(n >> 35n); rest > 0; rest = Math.floor(rest / 128)) size++;
  return size;
}

/**
 * Writes an unsigned 64-bit `n` (0 <= n < 2^64) at `pos`; returns the position after it.
 * No bigint arithmetic per byte (each step would allocate a bigint): the value is split
 * once into two 32-bit halves, written as numbers.
 */
export function writeBigVarint(out: Uint8Array, pos: number, n: bigint): number {
  if (n < 0x100000000n) {
    let v = Number(n);
    while (v >= 128) {
      out[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    out[pos++] = v;
    return pos;
  }
  let lo = Number(n & 0xffffffffn);
  let hi = Number(n >> 32n);
  while (hi > 0 || lo >= 128) {
    out[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  out[pos++] = lo;
  return pos;
}

/** Largest value writeBigVarint takes. */
export const MAX_U64 = 0xffffffffffffffffn;

/** Whether `n` fits an unsigned 64-bit field (what writeBigVarint takes). */
export function isU64(n: bigint): boolean {
  return n >= 0n && n <= MAX_U64;
}

/** A varint field: its tag byte, then the value. Returns the position after it. */
export function writeVarintField(out: Buffer, pos: number, tag: number, v: number): number {
  out[pos] = tag;
  return writeVarint(out, pos + 1, v);
}

/** An unsigned 64-bit varint field, left out when 0 as protobuf does. Returns the position after it. */
export function writeUint64Field(out: Buffer, pos: number, tag: number, v: bigint): number {
  if (v === 0n) return pos;
  out[pos] = tag;
  return writeBigVarint(out, pos + 1, v);
}

/** Bytes writeUint64Field writes for `v`. */
export function uint64FieldSize(v: bigint): number {
  return v === 0n ? 0 : 1 + bigVarintSize(v);
}

/** A bytes field: its tag byte, the length, then the bytes. Returns the position after it. */
export function writeBytesField(out: Buffer, pos: number, tag: number, bytes: Uint8Array): number {
  pos = writeVarintField(out, pos, tag, bytes.length);
  out.set(bytes, pos);
  return pos + bytes.length;
}

/** Bytes writeBytesField writes for `length` bytes. */
export function bytesFieldSize(length: number): number {
  return 1 + varintSize(length) + length;
}
