// Assembles the member's alarms, quota and maintenance storage from its backend and
// store, and its auto-compactor from the flags.

import type { KVStore } from '../mvcc/kv-store.js';
import { AlarmStore } from '../server/alarm-store.js';
import type { MaintenanceParts } from '../server/maintenance.js';
import { BackendQuota } from '../server/quota.js';
import type { Backend } from '../storage/backend.js';
import { newAutoCompactor, parseCompactionRetention, realClock, type AutoCompactor, type CompactorClock } from '../server/auto-compactor.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { parseGoDuration } from '../pkg/go-strconv.js';
import type { ServerConfig } from './config.js';
import type { Logger } from './logger.js';

export function maintenanceParts(backend: Backend, store: KVStore, quotaBackendBytes: number): MaintenanceParts {
  return {
    alarms: new AlarmStore(backend),
    // The quota compares with the file's size, as etcd compares with bbolt's: free pages
    // count until a defrag gives them back.
    quota: new BackendQuota(quotaBackendBytes, () => backend.size()),
    storage: {
      hashByRev: (rev) => store.hashByRev(rev),
      hash: () => store.hash(),
      defrag: () => backend.defrag(),
    },
  };
}

/**
 * Starts --auto-compaction-mode/--auto-compaction-retention's compactor (undefined when
 * the retention is 0). It runs on the leader only: paused whenever this member is not.
 */
export function startAutoCompactor(cfg: ServerConfig, server: EtcdServer, store: KVStore, log: Logger, clock: CompactorClock = realClock): AutoCompactor | undefined {
  const retention = parseCompactionRetention(cfg.autoCompactionMode, cfg.autoCompactionRetention, parseGoDuration);
  const compactor = newAutoCompactor(cfg.autoCompactionMode, retention, clock, {
    rev: () => store.rev(),
    compact: (rev) => server.compactInternal(rev),
    info: (msg, fields) => log.info(msg, fields),
    warn: (msg, fields) => log.warn(msg, fields),
  });
  if (!compactor) return undefined;
  compactor.pause();
  server.onLeadership((isLeader) => (isLeader ? compactor.resume() : compactor.pause()));
  compactor.run();
  return compactor;
}
