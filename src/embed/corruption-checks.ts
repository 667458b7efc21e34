// Wires the corruption checks (src/server/corruption-check.ts) to a running member: its
// HashKV, its peers over the peer port (peer-hashkv.ts), its raft for the alarm, and the
// flags that turn them on.

import type http from 'node:http';
import { AlarmRequest_AlarmAction, AlarmType } from '../gen/etcdserverpb/rpc.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { CorruptionMonitor, initialCorruptCheck, type CorruptionHost } from '../server/corruption-check.js';
import type { PeerClientTls } from '../transport/peer-http.js';
import type { Logger } from './logger.js';
import { collectPeerHashes, handlePeerHashKV, PEER_HASHKV_PATH } from './peer-hashkv.js';
import type { PeerRoutes } from './peer-server.js';

export function corruptionHost(server: EtcdServer, peerTls: PeerClientTls | undefined, log: Logger): CorruptionHost {
  const maintenance = server.maintenance;
  if (!maintenance) throw new Error('corruption checks need the maintenance API');
  return {
    memberId: server.memberId,
    requestTimeoutMs: server.requestTimeout,
    localHash: async () => {
      const r = await maintenance.hashKV(0);
      return { revision: Number(r.header?.revision ?? 0n), compactRevision: Number(r.compactRevision), hash: r.hash };
    },
    peerHashes: (rev) =>
      collectPeerHashes({
        members: server.membership.list(),
        self: server.memberId,
        rev,
        clusterId: server.clusterId,
        tls: peerTls,
        timeoutMs: server.requestTimeout,
        log,
      }),
    linearizableReadNotify: () => server.linearizableReadNotify(),
    triggerCorruptAlarm: (memberID) => {
      // Fire and forget, as etcd: the next round retries if this proposal is lost.
      void maintenance.alarm({ action: AlarmRequest_AlarmAction.ACTIVATE, memberID, alarm: AlarmType.CORRUPT }).catch((err: unknown) => {
        log.warn('failed to raise CORRUPT alarm', { error: err instanceof Error ? err.message : String(err) });
      });
    },
    log,
  };
}

/** The peer endpoint every member serves (etcd serves it whatever the flags say). */
export function hashKVRoutes(server: EtcdServer, log: Logger): PeerRoutes {
  const maintenance = server.maintenance;
  if (!maintenance) return {};
  const route: http.RequestListener = (req, res) => {
    void handlePeerHashKV(req, res, { clusterId: server.clusterId, hashKV: (rev) => maintenance.hashKV(rev) }, log).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
  return { [PEER_HASHKV_PATH]: route };
}

/** Starts the leader's periodic check when --experimental-corrupt-check-time is set. */
export function startCorruptionMonitor(intervalMs: number, server: EtcdServer, host: CorruptionHost): CorruptionMonitor | undefined {
  if (intervalMs <= 0) return undefined;
  const monitor = new CorruptionMonitor(host, { intervalMs, isLeader: () => server.isLeader() });
  monitor.start();
  return monitor;
}

export { initialCorruptCheck };
