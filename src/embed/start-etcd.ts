// Assembles and starts a member from its configuration: opens (or creates) the data
// dir's WAL and backend, builds the raft node for a new or restarted member, and serves
// the client port once the member has published itself to the cluster.

import { WatchableStore } from '../mvcc/watchable-store.js';
import { preDiscoveryCluster, resolveBootstrapCluster } from './discovery/bootstrap-cluster.js';
import { notifySystemdReady } from './systemd-notify.js';
import { peerClientTls, serverTlsFor, TlsFileError } from './tls-files.js';
import type { PeerClientTls } from '../transport/peer-http.js';
import { bindServerMetrics } from '../metrics/server-metrics.js';
import { existsSync, mkdirSync } from 'node:fs';
import https from 'node:https';
import type tls from 'node:tls';
import { DEFAULT_MAX_CONCURRENT_STREAMS } from './server-flags.js';
import { withAutoTls } from './auto-tls.js';
import { allowedRuleConflict, guardTlsServer, handshakeFailureFields, rejectedFields, tlsAdmission } from './tls-admission.js';
import { httpUrlTlsWarnings } from './http-url-tls-warnings.js';
import type { HandshakeFailureSink } from '../pkg/tls-handshake-failures.js';
import { CALLERS } from './log-record.js';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { ClientServer } from '../api/client-server.js';
import { bindPorts, type BoundPort } from '../api/bound-port.js';
import { RawNode } from '../raft/raw-node.js';
import { MemoryStorage } from '../raft/storage.js';
import { Backend } from '../storage/backend.js';
import { KVStore } from '../mvcc/kv-store.js';
import { AuthStore } from '../auth/auth-store.js';
import { newTokenProvider } from '../auth/token-options.js';
import { WAL } from '../wal/wal.js';
import { EtcdServer } from '../server/etcd-server.js';
import { Membership, encodeMember } from '../server/membership.js';
import { leaseUpgradeListener } from '../server/lease-peer-upgrade.js';
import { HttpLeaseForwarder, leasePeerRoutes } from '../server/lease-forwarding.js';
import type { ServerConfig, TlsConfig } from './config.js';
import { maintenanceParts, startAutoCompactor } from './maintenance-parts.js';
import { loadBackendMembership } from './backend-membership.js';
import { verifyBootstrap } from './bootstrap-check.js';
import { bootstrapIds, formatId } from './identity.js';
import type { Logger } from './logger.js';
import { MSG } from './log-messages.js';
import { listenPeers, type PeerListeners } from './peer-server.js';
import { listenAddress } from './urls.js';
import { assignIdFromRemote, fetchRemoteCluster, otherPeerUrls } from './join-existing.js';
import { PeerTransport } from '../transport/peer-transport.js';
import { forwardPromote } from '../transport/promote-forwarding.js';
import { Snapshotter, SnapNoSnapshotError } from '../snap/snapshotter.js';
import { validSnapshotMarks } from '../wal/wal-inspect.js';
import { PURGE_INTERVAL_MS, purgeFiles } from './raft-files.js';
import { recoverReceivedBackend } from './snapshot-recovery.js';
import { installSnapshot } from '../server/snapshot-install.js';
import { copyForSnapshot } from '../server/snapshot-source.js';
import { SnapshotSender } from '../transport/snapshot-sender.js';
import { ConfChangeType } from '../raft/types.js';
import type { Member } from '../server/membership.js';
import { decodeWalMetadata, encodeWalMetadata } from './wal-metadata.js';
import { newMemberLessor } from '../lease/member-lessor.js';
import { corruptionHost, hashKVRoutes, initialCorruptCheck, startCorruptionMonitor } from './corruption-checks.js';
import type { CorruptionMonitor } from '../server/corruption-check.js';
import { EntryArena } from '../server/entry-arena.js';
import { migrateEtcdDataDir } from '../migrate/migrate-etcd-data-dir.js';
import { ListenerError, StartError } from './start-errors.js';

/** etcd's raft message limits: 1 MiB per append, 512 appends in flight per follower. */
const MAX_SIZE_PER_MSG_BYTES = 1024 * 1024;
const MAX_INFLIGHT_MSGS = 512;

export interface DataDirLayout {
  memberDir: string;
  walDir: string;
  snapDir: string;
  backendPath: string;
}

export function dataDirLayout(cfg: Pick<ServerConfig, 'dataDir' | 'walDir'>): DataDirLayout {
  const memberDir = join(cfg.dataDir, 'member');
  const snapDir = join(memberDir, 'snap');
  return { memberDir, walDir: cfg.walDir !== '' ? cfg.walDir : join(memberDir, 'wal'), snapDir, backendPath: join(snapDir, 'db') };
}

/** Seeds raft's randomized election timeouts from the OS, so members don't tie. */
function raftRandom(): () => number {
  return () => randomInt(0, 2 ** 32) / 2 ** 32;
}

export interface RunningMember {
  server: EtcdServer;
  stop(): Promise<void>;
}

/** etcd's default --quota-backend-bytes (0 means this): 2 GiB. */
const DEFAULT_QUOTA_BACKEND_BYTES = 2 * 1024 * 1024 * 1024;

export async function startEtcd(given: ServerConfig, log: Logger): Promise<RunningMember> {
  // Self-signed certificates first (peer, then client, as etcd), so the rest sees them as given.
  const tlsLog = log.child('embed/config.ts');
  const peerTls = await withAutoTls(given.peerTls, given.dataDir, given.listenPeerUrls, 'peer', tlsLog);
  // Each side's warnings come as etcd sets up that side's listeners: peers first.
  for (const r of httpUrlTlsWarnings('peer', given.listenPeerUrls, peerTls)) log.write(r);
  const clientTls = await withAutoTls(given.clientTls, given.dataDir, given.listenClientUrls, 'client', tlsLog);
  for (const r of httpUrlTlsWarnings('client', given.listenClientUrls, clientTls)) log.write(r);
  const cfg: ServerConfig = { ...given, peerTls, clientTls };
  // etcd checks this while setting up its peer listeners, before anything is written.
  const ruleConflict = cfg.listenPeerUrls.some((u) => u.startsWith('https://')) ? allowedRuleConflict(cfg.peerTls) : undefined;
  if (ruleConflict !== undefined) throw new StartError(ruleConflict);
  // Certificates are read before anything is written, so a bad path leaves no data dir behind.
  // A failed TLS handshake on a client or peer port: etcd's warning, one per connection.
  const handshakeLog = log.child(CALLERS.handshakeRejected);
  const onHandshakeFailure: HandshakeFailureSink = (f) => handshakeLog.warn('rejected connection', handshakeFailureFields(f));
  const clientAddresses = cfg.listenClientUrls.map((url) => ({
    ...listenAddress(url),
    tls: clientServerTls(url, cfg.clientTls),
    onHandshakeFailure,
  }));
  // Every port is bound before anything is written, so a port in use leaves no data dir
  // behind and fails the start at once, as in etcd; each is served once the member is ready.
  const peerListeners = await listenPeers(cfg.listenPeerUrls, (url) => serverTlsFor(url, cfg.peerTls, { cert: '--peer-cert-file', key: '--peer-key-file' }), onHandshakeFailure);
  let bound: BoundPort[];
  try {
    // Client ports first, then metrics ports; all or none are bound.
    bound = await bindPorts([...clientAddresses, ...cfg.listenMetricsUrls.map(listenAddress)]);
  } catch (err) {
    peerListeners.close();
    throw err;
  }
  const ports: MemberPorts = {
    client: clientAddresses.map((a, i) => ({ port: bound[i]!, secure: a.tls !== undefined })),
    metrics: bound.slice(clientAddresses.length),
  };
  guardTlsPorts(cfg, log, ports.client.filter((c) => c.secure).map((c) => c.port.server as tls.Server), peerListeners.servers.filter((s): s is https.Server => s instanceof https.Server));
  const peerClient = peerClientTls(cfg.peerTls);
  try {
    return await startMember(cfg, log, ports, peerListeners, peerClient);
  } catch (err) {
    peerListeners.close();
    for (const p of bound) p.close();
    throw err;
  }
}

/** A client URL's TLS options; a file that cannot be read fails as etcd's listener does (see ListenerError). */
function clientServerTls(url: string, clientTls: TlsConfig): tls.TlsOptions | undefined {
  try {
    return serverTlsFor(url, clientTls, { cert: '--cert-file', key: '--key-file' });
  } catch (err) {
    if (err instanceof TlsFileError) throw new ListenerError(err.message);
    throw err;
  }
}

/** --*-crl-file, --peer-cert-allowed-* and --client-cert-allowed-hostname on the TLS ports (tls-admission.ts). */
function guardTlsPorts(cfg: ServerConfig, log: Logger, client: tls.Server[], peer: tls.Server[]): void {
  const tlsLog = log.child(CALLERS.certificateRejected);
  const reject = (socket: tls.TLSSocket, error: string): void => tlsLog.warn('rejected connection', rejectedFields(socket, error));
  const clientCheck = tlsAdmission(cfg.clientTls);
  if (clientCheck) for (const s of client) guardTlsServer(s, clientCheck, reject);
  const peerCheck = tlsAdmission(cfg.peerTls);
  if (peerCheck) for (const s of peer) guardTlsServer(s, peerCheck, reject);
}

/** The client and metrics ports, bound at start-up and served once the member is ready. */
interface MemberPorts {
  client: { port: BoundPort; secure: boolean }[];
  metrics: BoundPort[];
}

async function startMember(cfg: ServerConfig, log: Logger, ports: MemberPorts, peerListeners: PeerListeners, peerTls: PeerClientTls | undefined): Promise<RunningMember> {
  const layout = dataDirLayout(cfg);
  // A member/ that real etcd wrote (a drop-in upgrade, or a restore by etcd's etcdctl) is
  // turned into etcd-ts's files first, once; afterwards this is a plain restart.
  try {
    await migrateEtcdDataDir(layout, log.child('migrate/etcd-data-dir.ts'));
  } catch (err) {
    throw new StartError(err instanceof Error ? err.message : String(err));
  }
  for (const d of [layout.memberDir, layout.snapDir]) {
    if (!existsSync(d)) mkdirSync(d, { recursive: true, mode: 0o700 });
  }
  const raftLog = log.child('raft/raft.ts');
  const haveWal = WAL.exists(layout.walDir);
  const walWarn = (msg: string, fields: Record<string, unknown>) => log.warn(msg, fields);

  const snapshotter = new Snapshotter(layout.snapDir, { warn: walWarn });
  if (haveWal) await recoverReceivedBackend(layout, snapshotter, log.child('etcdserver/server.ts'));
  // Zero (the flags' default) means etcd's own interval and limit, as with etcd.
  const backend = Backend.open(layout.backendPath, {
    batchIntervalMs: cfg.backendBatchIntervalMs > 0 ? cfg.backendBatchIntervalMs : undefined,
    batchLimit: cfg.backendBatchLimit > 0 ? cfg.backendBatchLimit : undefined,
  });
  const store = await KVStore.open(backend);
  const membershipStore = await loadBackendMembership(backend);
  const auth = new AuthStore(backend, newTokenProvider(cfg.authToken, cfg.authTokenTtlSeconds));
  const lessor = newMemberLessor(backend, store, cfg);
  const watchable = new WatchableStore(store, backend);
  // etcd's default progress interval is 10 minutes; the experimental flag changes it.
  const progressTimer = setInterval(() => watchable.progressTick(), cfg.experimental.watchProgressNotifyIntervalMs > 0 ? cfg.experimental.watchProgressNotifyIntervalMs : 10 * 60 * 1000);
  progressTimer.unref();

  const storage = new MemoryStorage();
  let memberId: bigint;
  let clusterId: bigint;
  let wal: WAL;
  let node: RawNode;
  const raftConfig = (id: bigint) => ({
    id,
    electionTick: Math.max(1, Math.round(cfg.electionTimeoutMs / cfg.heartbeatIntervalMs)),
    heartbeatTick: 1,
    storage,
    maxSizePerMsg: MAX_SIZE_PER_MSG_BYTES,
    maxInflightMsgs: MAX_INFLIGHT_MSGS,
    coalesceMessages: true,
    checkQuorum: true,
    preVote: cfg.preVote,
    random: raftRandom(),
    logger: raftLog,
  });

  // Peers to talk to before the membership is known locally (a member joining a running cluster).
  let remotePeers: Member[] = [];
  try {
    if (haveWal) {
      // The newest snapshot the WAL also recorded: the log continues right after it.
      const snap = await snapshotter.loadNewestAvailable(await validSnapshotMarks(layout.walDir)).catch((err: Error) => {
        if (err instanceof SnapNoSnapshotError) return undefined;
        throw err;
      });
      const fromSnapshot = snap ? { index: snap.metadata.index, term: snap.metadata.term } : undefined;
      wal = await WAL.open(layout.walDir, { warn: walWarn, ...(fromSnapshot ? { fromSnapshot } : {}) });
      if (snap) {
        storage.applySnapshot(snap);
        log.info('recovered v3 backend from snapshot', { 'snapshot-index': snap.metadata.index });
      }
      const contents = await wal.readAll();
      ({ memberId, clusterId } = decodeWalMetadata(contents.metadata));
      if (contents.hardState) storage.setHardState(contents.hardState);
      // --force-new-cluster keeps only what was committed: an uncommitted tail may hold
      // changes the old cluster never agreed on. The new leader's first entry overwrites it.
      const commit = contents.hardState?.commit ?? 0;
      // Payloads copied out of the WAL's read buffers so the log does not pin them (entry-arena.ts).
      storage.append(new EntryArena().copy(cfg.forceNewCluster ? contents.entries.filter((e) => e.index <= commit) : contents.entries));
      node = new RawNode(raftConfig(memberId));
      if (cfg.forceNewCluster) log.info('forcing restart member', { 'cluster-id': formatId(clusterId), 'local-member-id': formatId(memberId), 'commit-index': commit });
      else log.info('restarting local member', { 'cluster-id': formatId(clusterId), 'local-member-id': formatId(memberId), 'commit-index': commit });
    } else if (cfg.initialClusterState === 'existing') {
      const problem = verifyBootstrap(cfg);
      if (problem !== undefined) throw new StartError(problem);
      const clusterLog = log.child('etcdserver/cluster_util.ts');
      const remote = await fetchRemoteCluster(otherPeerUrls(cfg.initialCluster, cfg.name), peerTls, (msg, fields) => clusterLog.warn(msg, fields)).catch((err: Error) => {
        throw new StartError(err.message);
      });
      const assigned = assignIdFromRemote(cfg.initialCluster, cfg.name, remote);
      if (typeof assigned === 'string') throw new StartError(assigned);
      memberId = assigned;
      clusterId = remote.clusterId;
      remotePeers = remote.members.filter((m) => m.id !== memberId);
      wal = await WAL.create(layout.walDir, encodeWalMetadata(memberId, clusterId), { warn: walWarn });
      // No bootstrap entries: the leader replicates the whole log, conf changes included.
      node = new RawNode(raftConfig(memberId));
      log.info('starting local member', { 'local-member-id': formatId(memberId), 'cluster-id': formatId(clusterId) });
    } else {
      const problem = verifyBootstrap({ ...cfg, initialCluster: preDiscoveryCluster(cfg) });
      if (problem !== undefined) throw new StartError(problem);
      const discovered = await resolveBootstrapCluster(cfg, log.child('v2discovery/discovery.ts'));
      const boot = bootstrapIds(discovered.initialCluster, discovered.token);
      const peers = boot.members.map((m) => ({ name: m.name, urls: m.peerUrls, id: m.id }));
      memberId = peers.find((p) => p.name === cfg.name)!.id;
      clusterId = boot.clusterId;
      wal = await WAL.create(layout.walDir, encodeWalMetadata(memberId, clusterId), { warn: walWarn });
      node = new RawNode(raftConfig(memberId));
      node.bootstrap(
        peers.map((p) => ({
          id: p.id,
          context: encodeMember({ id: p.id, name: p.name, peerURLs: p.urls, clientURLs: [], isLearner: false }),
        })),
      );
      log.info('starting local member', { 'local-member-id': formatId(memberId), 'cluster-id': formatId(clusterId) });
    }
  } catch (err) {
    // A bootstrap that failed (discovery refused, peers unreachable) closes the backend
    // before the process exits: an open LMDB environment can hold the exit up.
    clearInterval(progressTimer);
    await backend.close().catch(() => undefined);
    throw err;
  }

  // Old snapshot files and released WAL segments go, keeping --max-snapshots / --max-wals.
  const purgeTimer = setInterval(() => {
    void purgeFiles(snapshotter, wal, cfg.maxSnapshots, cfg.maxWals, log);
  }, PURGE_INTERVAL_MS);
  purgeTimer.unref();
  const membership = new Membership(clusterId, membershipStore);
  // What the backend knows is the configuration as of its consistent index: raft starts
  // from it, and only entries after that index change it (see Applier.applyEntry).
  if (haveWal && cfg.forceNewCluster) {
    // Every other member is removed for good, as etcd does: this member alone is the cluster.
    for (const m of membership.list()) {
      if (m.id !== memberId) membership.applyConfChange({ type: ConfChangeType.RemoveNode, nodeId: m.id, context: new Uint8Array(), id: 0n }, true);
    }
    await backend.forceCommit();
  }
  if (haveWal) {
    for (const m of membership.list()) {
      node.applyConfChange({ type: m.isLearner ? ConfChangeType.AddLearnerNode : ConfChangeType.AddNode, nodeId: m.id, context: new Uint8Array(), id: 0n });
    }
  }
  const maintenance = maintenanceParts(backend, store, cfg.quotaBackendBytes);
  let clientServer: ClientServer | undefined;
  let corruptionMonitor: CorruptionMonitor | undefined;
  // eslint-disable-next-line prefer-const -- assigned once the server exists, used by transport hooks
  let server: EtcdServer;
  const snapshotLog = log.child('rafthttp/snapshot.ts');
  const proberLog = log.child('rafthttp/probing_status.ts');
  const snapshotSender: SnapshotSender = new SnapshotSender({
    copy: () => copyForSnapshot(backend),
    headers: (): Record<string, string> => transport.headers(),
    tls: peerTls,
    reportSnapshot: (id, ok) => server.reportSnapshot(id, ok),
    reportUnreachable: (id) => server.reportUnreachable(id),
    log: snapshotLog,
  });
  const transport: PeerTransport = new PeerTransport(memberId, clusterId, {
    receive: (m) => server.stepRaft(m),
    reportUnreachable: (id) => server.reportUnreachable(id),
    reportSnapshot: (id, ok) => server.reportSnapshot(id, ok),
    isRemoved: (id) => membership.isRemoved(id),
    onRemovedByPeer: () => server.removedFromCluster(),
    warn: (msg, fields) => proberLog.warn(msg, fields),
  }, peerTls, { sender: snapshotSender, receiver: { snapDir: layout.snapDir, log: snapshotLog } });
  const syncPeers = (): void => {
    for (const m of [...remotePeers, ...membership.list()]) {
      if (m.id !== memberId && !membership.isRemoved(m.id)) transport.addPeer(m.id, m.peerURLs);
    }
    for (const id of transport.peerIds()) {
      if (membership.isRemoved(id)) transport.removePeer(id);
    }
  };
  syncPeers();
  server = new EtcdServer(
    {
      memberId,
      name: cfg.name,
      clientURLs: cfg.advertiseClientUrls,
      heartbeatMs: cfg.heartbeatIntervalMs,
      electionMs: cfg.electionTimeoutMs,
      maxRequestBytes: cfg.maxRequestBytes,
      maxTxnOps: cfg.maxTxnOps,
      bcryptCost: cfg.bcryptCost,
      logger: log.child('etcdserver/server.ts'),
      backendSize: () => ({ size: backend.size(), inUse: backend.sizeInUse() }),
      strictReconfigCheck: cfg.strictReconfigCheck,
      snapshotCount: cfg.snapshotCount,
      snapshotCatchUpEntries: cfg.snapshotCatchUpEntries,
      membersChanged: syncPeers,
      onRemoved: () => process.exit(0),
      backendCopy: () => backend.snapshotStream(),
      onClose: async () => {
        clearInterval(progressTimer);
        clearInterval(purgeTimer);
        compactor?.stop();
        void corruptionMonitor?.stop();
        watchable.close();
        transport.stop();
        await clientServer?.close();
        peerListeners.close();
        await wal.close();
        await backend.close();
      },
    },
    { node, storage, wal, store, membership, lessor, auth, watchable, maintenance, send: (msgs) => transport.send(msgs),
      installSnapshot: (snap, appliedBefore) => installSnapshot({ snapDir: layout.snapDir, backend, store, membership, lessor, auth, alarms: maintenance.alarms, watchable, log: log.child('etcdserver/server.ts') }, snap, appliedBefore),
      snapshots: {
        commitBackend: () => backend.forceCommit(),
        save: async (snap) => {
          await snapshotter.save(snap);
          await wal.saveSnapshot({ index: snap.metadata.index, term: snap.metadata.term });
          wal.releaseLockTo(snap.metadata.index);
        },
      },
      activeSince: (id) => transport.activeSince(id),
      forwardPromote: (urls, id) => forwardPromote(urls, id, transport.headers(), peerTls),
    },
  );

  const compactor = startAutoCompactor(cfg, server, store, log.child('v3compactor/compactor.ts'));
  const corruptLog = log.child('etcdserver/corrupt.ts');
  const corruption = corruptionHost(server, peerTls, corruptLog);
  // Like etcd, only a member that already has data compares it before serving: a new one has nothing to compare yet.
  if (cfg.experimental.initialCorruptCheck && haveWal) {
    await initialCorruptCheck(corruption).catch(async (err: unknown) => {
      await server.stop();
      throw new StartError(err instanceof Error ? err.message : String(err));
    });
  }
  // Followers hand lease keep-alives and time-to-live queries to the leader over the peer port, as etcd.
  if (server.leases) server.leases.forwarder = new HttpLeaseForwarder((id) => membership.get(id)?.peerURLs ?? [], peerTls);
  peerListeners.serve(server, transport, { ...hashKVRoutes(server, corruptLog), ...leasePeerRoutes(server.leases) });
  // etcd-ts followers' forwarding connections skip node's per-request http machinery (lease-peer-upgrade.ts).
  for (const s of peerListeners.servers) s.on('upgrade', leaseUpgradeListener(server.leases));
  server.start();
  corruptionMonitor = startCorruptionMonitor(cfg.experimental.corruptCheckTimeMs, server, corruption);
  await server.ready;
  const serveLog = log.child('embed/serve.ts');
  clientServer = new ClientServer(server, {
    maxRequestBytes: cfg.maxRequestBytes,
    cors: cfg.cors,
    hostWhitelist: cfg.hostWhitelist,
    onRefusedHost: (host) => serveLog.warn(MSG.rejectedHost, { host }),
    enableGateway: cfg.enableGrpcGateway,
    extensiveMetrics: cfg.metrics === 'extensive',
    // Like etcd, the two flags replace gRPC's defaults only together, and only when both are set above zero.
    ...(cfg.grpcKeepAliveIntervalMs > 0 && cfg.grpcKeepAliveTimeoutMs > 0
      ? { keepAlive: { intervalMs: cfg.grpcKeepAliveIntervalMs, timeoutMs: cfg.grpcKeepAliveTimeoutMs } }
      : {}),
    ...(cfg.maxConcurrentStreams !== DEFAULT_MAX_CONCURRENT_STREAMS ? { maxConcurrentStreams: cfg.maxConcurrentStreams } : {}),
  });
  bindServerMetrics({
    ...server.metricsSource(cfg.quotaBackendBytes > 0 ? cfg.quotaBackendBytes : DEFAULT_QUOTA_BACKEND_BYTES, () => store.keyCount(), () => store.compactRev()),
    openReadTransactions: () => backend.openReadTransactions(),
  });
  clientServer.serve(ports.client, ports.metrics);
  serveLog.info(MSG.readyToServe);
  await notifySystemdReady(log.child('etcdmain/main.ts'));
  for (const url of cfg.listenClientUrls) {
    if (url.startsWith('http://')) serveLog.info(MSG.servingInsecure, { address: url.slice('http://'.length) });
    else if (url.startsWith('https://')) serveLog.info(MSG.servingSecure, { address: url.slice('https://'.length) });
  }
  return { server, stop: () => server.stop() };
}
