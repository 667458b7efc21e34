// A Map for tables that live as long as the member while their entries live for one
// request: proposals waiting to be applied, streams of a client connection.
//
// Why not a plain Map: V8 keeps a Map's entries in a hash table that it replaces with a
// fresh one every few dozen insertions when entries keep coming and going, and the table
// it replaces keeps a link to its successor and every value it held. Once one of those
// tables has been promoted to old space (the member was quiet long enough for it to
// survive two scavenges), it is garbage that only the next full GC frees, yet to every
// scavenge it is a root: the chain of younger tables behind it stays alive, and with it
// each request that was in flight when its table was replaced, which is then copied out
// of the young generation and promoted. Measured on 50-client puts: ~2.5 KB promoted per
// put, scavenges of 4-8 ms every ~60 ms, and the old space grew until a full GC.
//
// Here the Map only holds small slot objects; removing an entry empties its slot, so a
// stale table keeps at most the slot and the key, never the value. Emptied slots are
// reused, so a steady churn allocates none.

interface Slot<V> {
  value: V | undefined;
}

/** How many emptied slots are kept for reuse (the tables here hold tens to thousands of entries). */
const POOL_LIMIT = 4096;

export class ChurnMap<K, V> {
  private readonly slots = new Map<K, Slot<V>>();
  private readonly pool: Slot<V>[] = [];

  get size(): number {
    return this.slots.size;
  }

  get(key: K): V | undefined {
    return this.slots.get(key)?.value;
  }

  has(key: K): boolean {
    return this.slots.has(key);
  }

  set(key: K, value: V): this {
    const slot = this.slots.get(key);
    if (slot !== undefined) {
      slot.value = value;
      return this;
    }
    const fresh = this.pool.pop() ?? { value: undefined };
    fresh.value = value;
    this.slots.set(key, fresh);
    return this;
  }

  delete(key: K): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.slots.delete(key);
    this.release(slot);
    return true;
  }

  clear(): void {
    for (const slot of this.slots.values()) this.release(slot);
    this.slots.clear();
  }

  keys(): IterableIterator<K> {
    return this.slots.keys();
  }

  /** Values in insertion order; entries deleted during the iteration are not visited. */
  *values(): IterableIterator<V> {
    for (const slot of this.slots.values()) yield slot.value as V;
  }

  /** [key, value] pairs in insertion order, as Map's iterator; deleting while iterating is allowed. */
  *[Symbol.iterator](): IterableIterator<[K, V]> {
    for (const [key, slot] of this.slots) yield [key, slot.value as V];
  }

  private release(slot: Slot<V>): void {
    slot.value = undefined;
    if (this.pool.length < POOL_LIMIT) this.pool.push(slot);
  }
}
