// The member's Prometheus registry: etcd's metric names and help texts (they are part
// of its interface — dashboards and alerts query them by name), plus the process_* and
// nodejs_* runtime metrics prom-client collects, in place of etcd's go_* ones.
//
// One registry per process, like the Go client's default registry: the layers that own
// a measurement (WAL, backend, server, gRPC) record into it directly, without a
// metrics object threaded through every constructor.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';

export const metricsRegistry = new Registry();
// nodejs_eventloop_lag_* sample the loop's delay every 100 ms rather than prom-client's
// default 10: a 10 ms timer wakes an idle member 100 times a second (measured: 15 ms of CPU
// a second idle, 12 with 100 ms; etcd itself uses 5).
collectDefaultMetrics({ register: metricsRegistry, eventLoopMonitoringPrecision: 100 });

/** etcd's disk latency buckets: 1 ms doubling to ~8 s. */
const DISK_BUCKETS = exponentialBuckets(0.001, 2, 14);

export function gauge(name: string, help: string, labelNames: string[] = []): Gauge {
  return new Gauge({ name, help, labelNames, registers: [metricsRegistry] });
}

export function counter(name: string, help: string, labelNames: string[] = [], collect?: () => void): Counter {
  return new Counter({ name, help, labelNames, registers: [metricsRegistry], ...(collect ? { collect } : {}) });
}

/** A histogram in the registry; etcd's buckets are exponential (prom-client's exponentialBuckets). */
export function histogram(name: string, help: string, buckets: number[], labelNames: string[] = []): Histogram {
  return new Histogram({ name, help, labelNames, buckets, registers: [metricsRegistry] });
}

/**
 * The gRPC interceptor counts in plain numbers (prom-client hashes the label set on every
 * inc(), ~2% of the server's CPU under load) and adds them to the counters when they are read.
 */
let flushGrpcCounts: () => void = () => undefined;
export function onGrpcCountersRead(flush: () => void): void {
  flushGrpcCounts = flush;
}
const collectGrpcCounts = (): void => flushGrpcCounts();

// ---- disk ----
export const walFsyncSeconds = histogram('etcd_disk_wal_fsync_duration_seconds', 'The latency distributions of fsync called by WAL.', DISK_BUCKETS);
export const walWriteBytes = gauge('etcd_disk_wal_write_bytes_total', 'Total number of bytes written in WAL.');
export const backendCommitSeconds = histogram('etcd_disk_backend_commit_duration_seconds', 'The latency distributions of commit called by backend.', DISK_BUCKETS);
// Not exported: etcd_debugging_disk_backend_commit_{rebalance,spill,write}_duration_seconds,
// bbolt's own timings of the phases of one commit (rebalancing the B-tree, spilling nodes to
// pages, writing the pages and meta page out). This backend hands a batch to lmdb-js, whose
// writer thread does the B-tree work, the page writes and the sync inside one native call
// and reports no phase timings; none of the three can be measured apart from the whole
// commit, which etcd_disk_backend_commit_duration_seconds already measures. A made-up split
// would mislead whoever reads a dashboard of them, so the families are left out.
/** Time to send a backend snapshot: from its copy being ready until the Snapshot rpc is done with it (backend-snapshot.ts). */
export const backendSnapshotSeconds = histogram(
  'etcd_disk_backend_snapshot_duration_seconds',
  'The latency distribution of backend snapshots.',
  exponentialBuckets(0.01, 2, 17),
);

// ---- server (gauges read at scrape time from the bound member, see server-metrics.ts) ----
export const hasLeader = gauge('etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.');
export const isLeader = gauge('etcd_server_is_leader', 'Whether or not this member is a leader. 1 if is, 0 otherwise.');
export const isLearner = gauge('etcd_server_is_learner', 'Whether or not this member is a learner. 1 if is, 0 otherwise.');
export const leaderChangesSeen = counter('etcd_server_leader_changes_seen_total', 'The number of leader changes seen.');
export const proposalsCommitted = gauge('etcd_server_proposals_committed_total', 'The total number of consensus proposals committed.');
export const proposalsApplied = gauge('etcd_server_proposals_applied_total', 'The total number of consensus proposals applied.');
export const proposalsPending = gauge('etcd_server_proposals_pending', 'The current number of pending proposals to commit.');
export const proposalsFailed = counter('etcd_server_proposals_failed_total', 'The total number of failed proposals seen.');
export const readIndexesFailed = counter('etcd_server_read_indexes_failed_total', 'The total number of failed read indexes seen.');
export const slowReadIndexes = counter(
  'etcd_server_slow_read_indexes_total',
  "The total number of pending read indexes not in sync with leader's or timed out read index requests.",
);
export const slowApplies = counter('etcd_server_slow_apply_total', 'The total number of slow apply requests (likely overloaded from slow disk).');
export const heartbeatSendFailures = counter(
  'etcd_server_heartbeat_send_failures_total',
  'The total number of leader heartbeat send failures (likely overloaded from slow disk).',
);
export const healthSuccess = counter('etcd_server_health_success', 'The total number of successful health checks');
export const healthFailures = counter('etcd_server_health_failures', 'The total number of failed health checks');
export const learnerPromoteSuccesses = counter(
  'etcd_server_learner_promote_successes',
  'The total number of successful learner promotions while this member is leader.',
);
export const snapshotApplyInProgress = gauge(
  'etcd_server_snapshot_apply_in_progress_total',
  '1 if the server is applying the incoming snapshot. 0 if none.',
);
export const quotaBackendBytes = gauge('etcd_server_quota_backend_bytes', 'Current backend storage quota size in bytes.');
export const serverId = gauge('etcd_server_id', "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.", ['server_id']);
export const serverVersion = gauge('etcd_server_version', "Which version is running. 1 for 'server_version' label with current version.", ['server_version']);
export const clusterVersion = gauge(
  'etcd_cluster_version',
  "Which version is running. 1 for 'cluster_version' label with current cluster version",
  ['cluster_version'],
);

// ---- mvcc ----
export const dbTotalSize = gauge('etcd_mvcc_db_total_size_in_bytes', 'Total size of the underlying database physically allocated in bytes.');
/** etcd 3.4 still exports the db size under its old etcd_debugging_ name too. */
export const dbTotalSizeDebug = gauge(
  'etcd_debugging_mvcc_db_total_size_in_bytes',
  'Total size of the underlying database physically allocated in bytes.',
);
export const dbTotalSizeInUse = gauge('etcd_mvcc_db_total_size_in_use_in_bytes', 'Total size of the underlying database logically in use in bytes.');
export const currentRevision = gauge('etcd_debugging_mvcc_current_revision', 'The current revision of store.');
export const compactRevision = gauge('etcd_debugging_mvcc_compact_revision', 'The revision of the last compaction in store.');
export const keysTotal = gauge('etcd_debugging_mvcc_keys_total', 'Total number of keys.');
export const dbOpenReadTransactions = gauge('etcd_mvcc_db_open_read_transactions', 'The number of currently open read transactions');

// Compaction and hash timings, observed by src/mvcc as etcd's store observes them (the
// millisecond ones in whole milliseconds, as etcd truncates them).
export const indexCompactionPauseMs = histogram(
  'etcd_debugging_mvcc_index_compaction_pause_duration_milliseconds',
  'Bucketed histogram of index compaction pause duration.',
  exponentialBuckets(0.5, 2, 14),
);
export const dbCompactionPauseMs = histogram(
  'etcd_debugging_mvcc_db_compaction_pause_duration_milliseconds',
  'Bucketed histogram of db compaction pause duration.',
  exponentialBuckets(1, 2, 13),
);
export const dbCompactionTotalMs = histogram(
  'etcd_debugging_mvcc_db_compaction_total_duration_milliseconds',
  'Bucketed histogram of db compaction total duration.',
  exponentialBuckets(100, 2, 14),
);
export const dbCompactionKeys = counter('etcd_debugging_mvcc_db_compaction_keys_total', 'Total number of db keys compacted.');
export const hashSeconds = histogram('etcd_mvcc_hash_duration_seconds', 'The latency distribution of storage hash operation.', exponentialBuckets(0.01, 2, 15));
export const hashRevSeconds = histogram('etcd_mvcc_hash_rev_duration_seconds', 'The latency distribution of storage hash by revision operation.', exponentialBuckets(0.01, 2, 15));

/**
 * The ops of mvcc transactions, as etcd 3.4 counts them: when a storage transaction
 * ends, its ranges, puts and deletes are added to their counters, and one transaction is
 * counted when it did more than one op (a lone range, put or delete is not a "txn").
 * Kept in plain numbers by the transactions (src/mvcc/kv-txn.ts) and handed to the
 * prom-client counters when /metrics is read: the put path pays a few additions, not a
 * label-set lookup per op.
 */
const storeOps = { ranges: 0, puts: 0, deletes: 0, txns: 0, putBytes: 0 };

/** Records one ended storage transaction's ops; `putBytes` is the keys' and values' length of its puts. */
export function countStoreTxn(ranges: number, puts: number, deletes: number, putBytes: number): void {
  if (ranges + puts + deletes > 1) storeOps.txns++;
  storeOps.ranges += ranges;
  storeOps.puts += puts;
  storeOps.deletes += deletes;
  storeOps.putBytes += putBytes;
}

/** Records `n` reads made each in a transaction of its own (one op each: no txns). */
export function countStoreReads(n: number): void {
  storeOps.ranges += n;
}

/** A counter whose value is `read()`, brought up to date when the counter is read. */
function countedAtRead(name: string, help: string, read: () => number): Counter {
  let reported = 0;
  const c: Counter = counter(name, help, [], () => {
    const now = read();
    if (now > reported) c.inc(now - reported);
    reported = now;
  });
  return c;
}

/** A gauge whose value is `read()`, taken when the gauge is read. */
function gaugeAtRead(name: string, help: string, read: () => number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [metricsRegistry],
    collect() {
      this.set(read());
    },
  });
}

// etcd 3.4 exports each of these twice, under etcd_mvcc_* and etcd_debugging_mvcc_* (the
// latter kept for dashboards written before the rename): the same numbers under both.
for (const prefix of ['etcd_mvcc', 'etcd_debugging_mvcc']) {
  countedAtRead(`${prefix}_range_total`, 'Total number of ranges seen by this member.', () => storeOps.ranges);
  countedAtRead(`${prefix}_put_total`, 'Total number of puts seen by this member.', () => storeOps.puts);
  countedAtRead(`${prefix}_delete_total`, 'Total number of deletes seen by this member.', () => storeOps.deletes);
  countedAtRead(`${prefix}_txn_total`, 'Total number of txns seen by this member.', () => storeOps.txns);
}
gaugeAtRead('etcd_debugging_mvcc_total_put_size_in_bytes', 'The total size of put kv pairs seen by this member.', () => storeOps.putBytes);

// ---- defragmentation (recorded by src/server/maintenance.ts) ----
export const defragSeconds = histogram('etcd_disk_backend_defrag_duration_seconds', 'The latency distribution of backend defragmentation.', exponentialBuckets(0.1, 2, 13));
export const defragInflight = gauge('etcd_disk_defrag_inflight', 'Whether or not defrag is active on the member. 1 means active, 0 means not.');

// ---- auth (read at scrape time) ----
export const authRevision = gauge('etcd_debugging_auth_revision', 'The current revision of auth store.');

// ---- raft snapshots (src/snap) and received backend snapshots (src/transport) ----
export const snapMarshallingSeconds = histogram(
  'etcd_debugging_snap_save_marshalling_duration_seconds',
  'The marshalling cost distributions of save called by snapshot.',
  exponentialBuckets(0.001, 2, 14),
);
export const snapSaveSeconds = histogram('etcd_debugging_snap_save_total_duration_seconds', 'The total latency distributions of save called by snapshot.', exponentialBuckets(0.001, 2, 14));
export const snapFsyncSeconds = histogram('etcd_snap_fsync_duration_seconds', 'The latency distributions of fsync called by snap.', exponentialBuckets(0.001, 2, 14));
export const snapDbSaveSeconds = histogram('etcd_snap_db_save_total_duration_seconds', 'The total latency distributions of v3 snapshot save', exponentialBuckets(0.1, 2, 10));
export const snapDbFsyncSeconds = histogram('etcd_snap_db_fsync_duration_seconds', 'The latency distributions of fsyncing .snap.db file', exponentialBuckets(0.001, 2, 14));

// ---- watch ----
export const watchersTotal = gauge('etcd_debugging_mvcc_watcher_total', 'Total number of watchers.');
export const slowWatchersTotal = gauge('etcd_debugging_mvcc_slow_watcher_total', 'Total number of unsynced slow watchers.');
/** Watch streams and delivered events, kept in plain numbers (see countedAtRead). */
const watchCounts = { streams: 0, events: 0 };
/** A client watch stream opened (+1) or closed (-1). */
export function countWatchStream(delta: 1 | -1): void {
  watchCounts.streams += delta;
}
/** `n` events went out to one watcher. */
export function countWatchEvents(n: number): void {
  watchCounts.events += n;
}
gaugeAtRead('etcd_debugging_mvcc_watch_stream_total', 'Total number of watch streams.', () => watchCounts.streams);
// etcd counts events queued between its store and a watch stream's send loop. Here the
// store hands a watcher's events to its stream in the same call (backpressure is the
// stream's own), so none are ever pending: the gauge is exported and stays 0.
gauge('etcd_debugging_mvcc_pending_events_total', 'Total number of pending events to be sent.');
countedAtRead('etcd_debugging_mvcc_events_total', 'Total number of events sent by this member.', () => watchCounts.events);

// ---- gRPC (go-grpc-prometheus's names, which etcd exports) ----
const GRPC_LABELS = ['grpc_type', 'grpc_service', 'grpc_method'];
export const grpcStarted = counter('grpc_server_started_total', 'Total number of RPCs started on the server.', GRPC_LABELS, collectGrpcCounts);
export const grpcHandled = counter(
  'grpc_server_handled_total',
  'Total number of RPCs completed on the server, regardless of success or failure.',
  [...GRPC_LABELS, 'grpc_code'],
  collectGrpcCounts,
);
export const grpcMsgReceived = counter(
  'grpc_server_msg_received_total',
  'Total number of RPC stream messages received on the server.',
  GRPC_LABELS,
  collectGrpcCounts,
);
export const grpcMsgSent = counter('grpc_server_msg_sent_total', 'Total number of gRPC stream messages sent by the server.', GRPC_LABELS, collectGrpcCounts);

/**
 * gRPC message bytes each way, as etcd's codec counts them: each message's protobuf encoding,
 * without the 5-byte gRPC prefix. Plain numbers every path adds lengths it already has to
 * (grpc-js through the wrapped codecs of grpc-codec-bytes.ts, the fast paths on their own).
 */
export const grpcBytes = { sent: 0, received: 0 };
countedAtRead('etcd_network_client_grpc_sent_bytes_total', 'The total number of bytes sent to grpc clients.', () => grpcBytes.sent);
countedAtRead('etcd_network_client_grpc_received_bytes_total', 'The total number of bytes received from grpc clients.', () => grpcBytes.received);

// ---- leases (recorded by src/lease) ----
export const leaseGranted = counter('etcd_debugging_lease_granted_total', 'The total number of granted leases.');
export const leaseRevoked = counter('etcd_debugging_lease_revoked_total', 'The total number of revoked leases.');
/**
 * Renewals, one per keep-alive, counted in a plain number and added to the counter when it
 * is read: prom-client's inc() (label hashing) cost about as much as the renewal itself.
 */
let renewalsNotYetCounted = 0;
export function countLeaseRenewed(): void {
  renewalsNotYetCounted++;
}
export const leaseRenewed = counter('etcd_debugging_lease_renewed_total', 'The number of renewed leases seen by the leader.', [], () => {
  if (renewalsNotYetCounted === 0) return;
  leaseRenewed.inc(renewalsNotYetCounted);
  renewalsNotYetCounted = 0;
});
// etcd's buckets: 1 s doubling 24 times (to ~97 days).
export const leaseTtls = histogram('etcd_debugging_lease_ttl_total', 'Bucketed histogram of lease TTLs.', exponentialBuckets(1, 2, 24));
export const leaseExpired = counter('etcd_debugging_server_lease_expired_total', 'The total number of expired leases.');

// ---- the v2 store ----
// etcd-ts has no v2 store and serves no v2 API (as etcd 3.4 without --enable-v2), so no v2
// key expires and no v2 watch is ever made: these stay at the zeros such an etcd shows.
// etcd_debugging_store_{reads,writes}_total are left out: etcd keeps its membership in its
// v2 store, so even its idle member counts reads and writes there; this server keeps the
// membership in the backend and has no such reads or writes to count.
counter('etcd_debugging_store_expires_total', 'Total number of expired keys.');
counter('etcd_debugging_store_watch_requests_total', 'Total number of incoming watch requests (new or reestablished).');
gauge('etcd_debugging_store_watchers', 'Count of currently active watchers.');
