// Start-up: the leases persisted in the backend, then each key's attachment rebuilt
// from the key space (every stored key-value names its lease), as etcd's store does
// when it restores.

import type { KvRead } from '../server/kv-view.js';
import type { Lessor } from './lessor.js';

/** Every key from the first byte up: end [0x00] reads to the end of the key space. */
const ALL_FROM = Buffer.from([0]);

export function restoreLessor(lessor: Lessor, read: KvRead & { end(): void }): void {
  lessor.restore();
  try {
    for (const kv of read.peek(ALL_FROM, ALL_FROM, {}).kvs) {
      if (kv.lease !== 0n) lessor.attach(kv.lease, 0n, kv.key);
    }
  } finally {
    read.end();
  }
}
