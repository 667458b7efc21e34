// The window of append messages a leader has in flight to one follower in Replicate
// state: a ring buffer of (last index, payload bytes), oldest first. Bounded by a count
// (RaftConfig.maxInflightMsgs) and optionally by bytes, so a slow follower cannot make
// the leader buffer without limit.
//
// Invariant: indexes in the window are strictly increasing; 0 <= count <= capacity.

export class Inflights {
  /** Ring of last indexes of in-flight appends. */
  private readonly indexes: number[];
  /** Ring of payload sizes, parallel to `indexes`. */
  private readonly sizes: number[];
  /** Position of the oldest in-flight append. */
  private start = 0;
  /** Number of in-flight appends. */
  private n = 0;
  /** Sum of `sizes` over the window, in bytes. */
  private bytesInFlight = 0;

  constructor(
    /** At most this many appends in flight (>= 1). */
    readonly capacity: number,
    /** At most this many payload bytes in flight; 0 means unbounded. */
    readonly maxBytes = 0,
  ) {
    if (capacity < 1) throw new Error(`raft: inflight capacity ${capacity} must be at least 1`);
    this.indexes = new Array<number>(capacity).fill(0);
    this.sizes = new Array<number>(capacity).fill(0);
  }

  clone(): Inflights {
    const c = new Inflights(this.capacity, this.maxBytes);
    for (let i = 0; i < this.n; i++) {
      const j = (this.start + i) % this.capacity;
      c.add(this.indexes[j]!, this.sizes[j]!);
    }
    return c;
  }

  /** Records an append ending at `index` carrying `bytes` of payload. */
  add(index: number, bytes: number): void {
    if (this.full()) throw new Error('raft: cannot add into a full inflights window');
    const j = (this.start + this.n) % this.capacity;
    this.indexes[j] = index;
    this.sizes[j] = bytes;
    this.n++;
    this.bytesInFlight += bytes;
  }

  /** Frees every append whose last index is <= `index` (the follower acknowledged them). */
  freeLE(index: number): void {
    while (this.n > 0 && this.indexes[this.start]! <= index) {
      this.bytesInFlight -= this.sizes[this.start]!;
      this.start = (this.start + 1) % this.capacity;
      this.n--;
    }
    if (this.n === 0) this.start = 0;
  }

  full(): boolean {
    return this.n >= this.capacity || (this.maxBytes > 0 && this.bytesInFlight >= this.maxBytes);
  }

  count(): number {
    return this.n;
  }

  bytes(): number {
    return this.bytesInFlight;
  }

  reset(): void {
    this.start = 0;
    this.n = 0;
    this.bytesInFlight = 0;
  }
}
