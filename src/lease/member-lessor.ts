// Builds a member's lessor from its configuration, restored from its backend.

import type { Backend } from '../storage/backend.js';
import type { KvRead } from '../server/kv-view.js';
import { DEFAULT_CHECKPOINT_INTERVAL_MS, Lessor, minLeaseTtlSec } from './lessor.js';
import { restoreLessor } from './restore.js';

export interface LessorConfig {
  electionTimeoutMs: number;
  heartbeatIntervalMs: number;
  experimental: { enableLeaseCheckpoint: boolean; enableLeaseCheckpointPersist: boolean };
}

export function newMemberLessor(backend: Backend, store: { read(): KvRead & { end(): void } }, cfg: LessorConfig): Lessor {
  const lessor = new Lessor({
    backend,
    minTtlSec: minLeaseTtlSec(cfg.electionTimeoutMs, cfg.heartbeatIntervalMs),
    // etcd checkpoints only with --experimental-enable-lease-checkpoint, every 5 minutes.
    checkpointIntervalMs: cfg.experimental.enableLeaseCheckpoint ? DEFAULT_CHECKPOINT_INTERVAL_MS : 0,
    persistRemainingTtl: cfg.experimental.enableLeaseCheckpointPersist,
  });
  restoreLessor(lessor, store.read());
  return lessor;
}
