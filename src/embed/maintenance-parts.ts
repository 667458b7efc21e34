// Assembles the member's alarms, quota and maintenance storage from its backend and store.

import type { KVStore } from '../mvcc/kv-store.js';
import { AlarmStore } from '../server/alarm-store.js';
import type { MaintenanceParts } from '../server/maintenance.js';
import { BackendQuota } from '../server/quota.js';
import type { Backend } from '../storage/backend.js';

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
