// etcd 3.5's /health: alarms first (any active alarm not listed in ?exclude= makes the
// member unhealthy), then a leader (skipped with ?serializable=true, so a probe can ask
// about this process rather than the cluster), then a range read that must complete.

import { AlarmType } from '../gen/etcdserverpb/rpc.js';

export interface HealthQuery {
  /** Alarm names (NOSPACE, CORRUPT) that do not count against health. */
  exclude: ReadonlySet<string>;
  serializable: boolean;
}

export interface Health {
  health: boolean;
  reason: string;
}

export interface HealthProbes {
  alarms(): readonly AlarmType[];
  hasLeader(): boolean;
  /** A one-key range as root, serializable or linearizable; rejects with the read's error. */
  read(serializable: boolean): Promise<void>;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export function parseHealthQuery(url: string): HealthQuery {
  const q = new URL(url, 'http://member').searchParams;
  return { exclude: new Set(q.getAll('exclude').filter((v) => v !== '')), serializable: q.get('serializable') === 'true' };
}

const ALARM_REASONS: Partial<Record<AlarmType, string>> = {
  [AlarmType.NOSPACE]: 'ALARM NOSPACE',
  [AlarmType.CORRUPT]: 'ALARM CORRUPT',
};

export async function checkHealth(probes: HealthProbes, query: HealthQuery): Promise<Health> {
  for (const alarm of probes.alarms()) {
    const name = AlarmType[alarm] ?? String(alarm);
    if (query.exclude.has(name)) continue;
    probes.warn('serving /health false due to an alarm', { alarm: name });
    return { health: false, reason: ALARM_REASONS[alarm] ?? 'ALARM UNKNOWN' };
  }
  if (!query.serializable && !probes.hasLeader()) {
    probes.warn('serving /health false; no leader');
    return { health: false, reason: 'RAFT NO LEADER' };
  }
  try {
    await probes.read(query.serializable);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    probes.warn('serving /health false; Range fails', { error: message });
    return { health: false, reason: `RANGE ERROR:${message}` };
  }
  return { health: true, reason: '' };
}
