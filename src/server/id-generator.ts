// Unique 64-bit ids for requests and leases, generated without coordination: the top
// 16 bits are the low bits of the member id, the next 40 the start-up time in ms, the
// low 8 a counter. Incrementing the whole suffix (not only the counter) means a busy
// member borrows from the time field instead of wrapping, so ids stay unique across
// restarts as long as the clock moves forward between them.

const SUFFIX_BITS = 48n;
const SUFFIX_MASK = (1n << SUFFIX_BITS) - 1n;
const TIME_SHIFT = 8n;
const TIME_MASK = (1n << 40n) - 1n;

/** 2^48: the suffix is kept as a number (exact below 2^53), one bigint an id instead of three. */
const SUFFIX_RANGE = Number(SUFFIX_MASK) + 1;

export class IdGenerator {
  private readonly prefix: bigint;
  private suffix: number;

  constructor(memberId: bigint, nowMs: number) {
    this.prefix = (memberId & 0xffffn) << SUFFIX_BITS;
    this.suffix = Number((BigInt(nowMs) & TIME_MASK) << TIME_SHIFT);
  }

  next(): bigint {
    this.suffix = (this.suffix + 1) % SUFFIX_RANGE;
    // The prefix's bits are all above the suffix's: adding is or-ing.
    return this.prefix + BigInt(this.suffix);
  }
}
