// Preloaded into an etcd-ts member by scripts/rss-at-keys.mjs (`node --import`): on SIGUSR2 it
// writes the process's memory breakdown (V8 heap spaces used/committed, external and
// ArrayBuffer bytes) as JSON to $ETCD_TS_MEM_PROBE_OUT. A measuring aid, never loaded by bin/etcd.
import { writeFileSync } from 'node:fs';
import v8 from 'node:v8';

const out = process.env.ETCD_TS_MEM_PROBE_OUT;
if (out) {
  process.on('SIGUSR2', () => {
    const gcFirst = process.env.ETCD_TS_MEM_PROBE_GC === '1' && typeof globalThis.gc === 'function';
    const before = process.memoryUsage();
    if (gcFirst) globalThis.gc();
    const report = {
      memoryUsage: before,
      afterGc: gcFirst ? process.memoryUsage() : undefined,
      heap: v8.getHeapStatistics(),
      spaces: v8.getHeapSpaceStatistics().map((s) => ({ name: s.space_name, size: s.space_size, used: s.space_used_size, avail: s.space_available_size, physical: s.physical_space_size })),
    };
    writeFileSync(out, JSON.stringify(report));
    if (process.env.ETCD_TS_MEM_PROBE_SNAPSHOT) v8.writeHeapSnapshot(process.env.ETCD_TS_MEM_PROBE_SNAPSHOT);
  });
}
