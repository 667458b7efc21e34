// State-derived gauges (leader, raft indexes, db size, revisions) are read from the
// member when /metrics is scraped, not pushed on every change: the hot paths stay free
// of bookkeeping and a scrape always sees one consistent reading.

import * as m from './registry.js';
import { countedScrape } from './process-metrics.js';

/** What a member exposes for its gauges. */
export interface ServerMetricsSource {
  memberIdHex: string;
  serverVersion: string;
  quotaBackendBytes: number;
  clusterVersion(): string;
  leader(): bigint;
  isLeader(): boolean;
  isLearner(): boolean;
  committedIndex(): number;
  appliedIndex(): number;
  pendingProposals(): number;
  dbSize(): { size: number; inUse: number };
  revisions(): { current: number; compacted: number };
  keyCount(): number;
  /** Watchers, and those of them catching up (etcd's unsynced, "slow" watchers). */
  watchers(): { total: number; unsynced: number };
  /** The auth store's revision (bumped by every auth change). */
  authRevision(): number;
  /** Read transactions the backend holds open (Backend.openReadTransactions). */
  openReadTransactions?(): number;
}

let bound: ServerMetricsSource | undefined;

/** Makes `source` the member whose state /metrics reports (one member per process). */
export function bindServerMetrics(source: ServerMetricsSource): void {
  bound = source;
  m.serverId.reset();
  m.serverId.set({ server_id: source.memberIdHex }, 1);
  m.serverVersion.reset();
  m.serverVersion.set({ server_version: source.serverVersion }, 1);
  m.quotaBackendBytes.set(source.quotaBackendBytes);
}

function refresh(s: ServerMetricsSource): void {
  m.hasLeader.set(s.leader() === 0n ? 0 : 1);
  m.isLeader.set(s.isLeader() ? 1 : 0);
  m.isLearner.set(s.isLearner() ? 1 : 0);
  m.proposalsCommitted.set(s.committedIndex());
  m.proposalsApplied.set(s.appliedIndex());
  m.proposalsPending.set(s.pendingProposals());
  const db = s.dbSize();
  m.dbTotalSize.set(db.size);
  m.dbTotalSizeDebug.set(db.size);
  m.dbTotalSizeInUse.set(db.inUse);
  const revs = s.revisions();
  m.currentRevision.set(revs.current);
  m.compactRevision.set(revs.compacted);
  m.keysTotal.set(s.keyCount());
  const watchers = s.watchers();
  m.watchersTotal.set(watchers.total);
  m.slowWatchersTotal.set(watchers.unsynced);
  m.authRevision.set(s.authRevision());
  if (s.openReadTransactions) m.dbOpenReadTransactions.set(s.openReadTransactions());
  // etcd reports the cluster version as major.minor, and nothing before it is decided.
  const cv = s.clusterVersion();
  m.clusterVersion.reset();
  if (cv !== '') m.clusterVersion.set({ cluster_version: cv.split('.').slice(0, 2).join('.') }, 1);
}

/**
 * Drops the families that have no series yet (per-peer ones before any traffic, snapshot
 * ones before any transfer): prom-client prints their HELP and TYPE lines regardless,
 * where etcd's exposition leaves such a family out until it has a series.
 */
export function withoutEmptyFamilies(text: string): string {
  const out: string[] = [];
  let comments: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP ')) comments = [line];
    else if (line.startsWith('#')) comments.push(line);
    else if (line !== '') {
      if (comments.length > 0) out.push(...comments);
      comments = [];
      out.push(line);
    }
  }
  return out.length > 0 ? out.join('\n') + '\n' : '';
}

/** The Prometheus text exposition of every metric, with the bound member's state read now. */
export function scrapeMetrics(): Promise<{ contentType: string; body: string }> {
  return countedScrape(async () => {
    if (bound) refresh(bound);
    return { contentType: m.metricsRegistry.contentType, body: withoutEmptyFamilies(await m.metricsRegistry.metrics()) };
  });
}
