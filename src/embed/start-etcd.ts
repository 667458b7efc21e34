// Assembles and starts a member from its configuration: opens (or creates) the data
// dir's WAL and backend, builds the raft node for a new or restarted member, and serves
// the client port once the member has published itself to the cluster.

import { WatchableStore } from '../mvcc/watchable-store.js';
import { preDiscoveryCluster, resolveBootstrapCluster } from './discovery/bootstrap-cluster.js';
import { notifySystemdReady } from './systemd-notify.js';
import { serverTlsFor } from './tls-files.js';
import { bindServerMetrics } from '../metrics/server-metrics.js';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import type http from 'node:http';
import { ClientServer } from '../api/client-server.js';
import { RawNode } from '../raft/raw-node.js';
import { MemoryStorage } from '../raft/storage.js';
import { Backend } from '../storage/backend.js';
import { KVStore } from '../mvcc/kv-store.js';
import { AuthStore } from '../auth/auth-store.js';
import { newTokenProvider } from '../auth/token-options.js';
import { WAL } from '../wal/wal.js';
import { EtcdServer } from '../server/etcd-server.js';
import { Membership, encodeMember } from '../server/membership.js';
import type { ServerConfig } from './config.js';
import { maintenanceParts, startAutoCompactor } from './maintenance-parts.js';
import { loadBackendMembership } from './backend-membership.js';
import { verifyBootstrap } from './bootstrap-check.js';
import { bootstrapIds, formatId } from './identity.js';
import type { Logger } from './logger.js';
import { MSG } from './log-messages.js';
import { startPeerServer } from './peer-server.js';
import { listenAddress } from './urls.js';
import { newMemberLessor } from '../lease/member-lessor.js';

/** etcd's raft message limits: 1 MiB per append, 512 appends in flight per follower. */
const MAX_SIZE_PER_MSG_BYTES = 1024 * 1024;
const MAX_INFLIGHT_MSGS = 512;

export class StartError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'StartError';
  }
}

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

/** The WAL's metadata: which member of which cluster wrote it. */
function encodeWalMetadata(memberId: bigint, clusterId: bigint): Uint8Array {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(memberId, 0);
  b.writeBigUInt64BE(clusterId, 8);
  return b;
}

function decodeWalMetadata(m: Uint8Array): { memberId: bigint; clusterId: bigint } {
  const b = Buffer.from(m);
  return { memberId: b.readBigUInt64BE(0), clusterId: b.readBigUInt64BE(8) };
}

export interface RunningMember {
  server: EtcdServer;
  stop(): Promise<void>;
}

/** etcd's default --quota-backend-bytes (0 means this): 2 GiB. */
const DEFAULT_QUOTA_BACKEND_BYTES = 2 * 1024 * 1024 * 1024;

export async function startEtcd(cfg: ServerConfig, log: Logger): Promise<RunningMember> {
  // Certificates are read before anything is written, so a bad path leaves no data dir behind.
  const clientAddresses = cfg.listenClientUrls.map((url) => ({
    ...listenAddress(url),
    tls: serverTlsFor(url, cfg.clientTls, { cert: '--cert-file', key: '--key-file' }),
  }));
  const layout = dataDirLayout(cfg);
  for (const d of [layout.memberDir, layout.snapDir]) {
    if (!existsSync(d)) mkdirSync(d, { recursive: true, mode: 0o700 });
  }
  const raftLog = log.child('raft/raft.ts');
  const haveWal = WAL.exists(layout.walDir);
  const walWarn = (msg: string, fields: Record<string, unknown>) => log.warn(msg, fields);

  const backend = Backend.open(layout.backendPath);
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
    checkQuorum: true,
    preVote: cfg.preVote,
    random: raftRandom(),
    logger: raftLog,
  });

  if (haveWal) {
    wal = await WAL.open(layout.walDir, { warn: walWarn });
    const contents = await wal.readAll();
    ({ memberId, clusterId } = decodeWalMetadata(contents.metadata));
    if (contents.hardState) storage.setHardState(contents.hardState);
    storage.append(contents.entries);
    node = new RawNode(raftConfig(memberId));
    log.info('restarting local member', {
      'cluster-id': formatId(clusterId),
      'local-member-id': formatId(memberId),
      'commit-index': contents.hardState?.commit ?? 0,
    });
  } else {
    if (cfg.initialClusterState === 'existing') {
      throw new StartError('joining an existing cluster (--initial-cluster-state=existing) needs peer transport, which this build does not have yet');
    }
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

  const membership = new Membership(clusterId, membershipStore);
  let clientServer: ClientServer | undefined;
  let peerServers: http.Server[] = [];
  const server = new EtcdServer(
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
      onClose: async () => {
        clearInterval(progressTimer);
        compactor?.stop();
        watchable.close();
        await clientServer?.close();
        for (const s of peerServers) s.close();
        await wal.close();
        await backend.close();
      },
    },
    { node, storage, wal, store, membership, lessor, auth, watchable, maintenance: maintenanceParts(backend, store, cfg.quotaBackendBytes) },
  );

  const compactor = startAutoCompactor(cfg, server, store, log.child('v3compactor/compactor.ts'));
  peerServers = await startPeerServer(server, cfg.listenPeerUrls);
  server.start();
  await server.ready;
  clientServer = new ClientServer(server, {
    addresses: clientAddresses,
    maxRequestBytes: cfg.maxRequestBytes,
  });
  await clientServer.listen();
  bindServerMetrics(server.metricsSource(cfg.quotaBackendBytes > 0 ? cfg.quotaBackendBytes : DEFAULT_QUOTA_BACKEND_BYTES, () => store.keyCount(), () => store.compactRev()));
  await clientServer.listenMetrics(cfg.listenMetricsUrls.map(listenAddress));
  const embedLog = log.child('embed/serve.ts');
  embedLog.info(MSG.readyToServe);
  await notifySystemdReady(log.child('etcdmain/main.ts'));
  for (const url of cfg.listenClientUrls) {
    if (url.startsWith('http://')) embedLog.info(MSG.servingInsecure, { address: url.slice('http://'.length) });
    else if (url.startsWith('https://')) embedLog.info(MSG.servingSecure, { address: url.slice('https://'.length) });
  }
  return { server, stop: () => server.stop() };
}
