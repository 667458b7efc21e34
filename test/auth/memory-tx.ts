// An in-memory stand-in for the backend's batch transaction: bytewise-ordered buckets.

import type { BatchTx, Bucket, Entry } from '../../src/storage/buckets.js';

export class MemoryTx implements BatchTx {
  private readonly buckets = new Map<Bucket, Map<string, Buffer>>();

  private bucket(b: Bucket): Map<string, Buffer> {
    let m = this.buckets.get(b);
    if (!m) this.buckets.set(b, (m = new Map()));
    return m;
  }

  get(bucket: Bucket, key: Buffer): Buffer | undefined {
    return this.bucket(bucket).get(key.toString('hex'));
  }

  range(bucket: Bucket, start: Buffer, end?: Buffer, limit = 0): Entry[] {
    const out = [...this.bucket(bucket).entries()]
      .map(([k, value]) => ({ key: Buffer.from(k, 'hex'), value }))
      .filter((e) => Buffer.compare(e.key, start) >= 0 && (end === undefined || Buffer.compare(e.key, end) < 0))
      .sort((a, b) => Buffer.compare(a.key, b.key));
    return limit > 0 ? out.slice(0, limit) : out;
  }

  put(bucket: Bucket, key: Buffer, value: Buffer): void {
    this.bucket(bucket).set(key.toString('hex'), Buffer.from(value));
  }

  delete(bucket: Bucket, key: Buffer): void {
    this.bucket(bucket).delete(key.toString('hex'));
  }
}
