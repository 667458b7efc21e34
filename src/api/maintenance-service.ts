// etcdserverpb.Maintenance over gRPC: Status, Alarm, Defragment, Hash and HashKV (see
// server/maintenance.ts), Snapshot (snapshot-service.ts) and MoveLeader; Downgrade
// answers UNIMPLEMENTED.

import * as pb from '../gen/etcdserverpb/rpc.js';
import type { MaintenanceServer, StatusResponse } from '../gen/etcdserverpb/rpc.js';
import type { RequestAuth } from '../server/auth-gate.js';
import { jsonRoute as route, type GatewayRoute } from './http-gateway.js';
import { EtcdError, GrpcCode } from '../server/errors.js';
import type { EtcdServer } from '../server/etcd-server.js';
import type { MemberMaintenance } from '../server/maintenance.js';
import { requestAuth } from './request-auth.js';
import { unary, unimplemented } from './unary.js';
import { snapshotHandler } from './snapshot-service.js';


export function statusResponse(server: EtcdServer): StatusResponse {
  const s = server.status();
  return {
    header: server.header(server.currentRevision()),
    version: s.version,
    dbSize: BigInt(s.dbSize),
    leader: s.leader,
    raftIndex: BigInt(s.raftIndex),
    raftTerm: BigInt(s.raftTerm),
    raftAppliedIndex: BigInt(s.raftAppliedIndex),
    errors: s.errors,
    dbSizeInUse: BigInt(s.dbSizeInUse),
    isLearner: s.isLearner,
  };
}

function maintenanceOf(server: EtcdServer): MemberMaintenance {
  if (!server.maintenance) throw new EtcdError(GrpcCode.Unimplemented, 'maintenance is not served by this member');
  return server.maintenance;
}

/** Defragment, Hash and HashKV need root while auth is on; Status and Alarm do not (etcd 3.4). */
async function adminOnly<T>(server: EtcdServer, auth: RequestAuth | undefined, fn: (m: MemberMaintenance) => Promise<T>): Promise<T> {
  await server.authGate.checkMaintenance(auth);
  return fn(maintenanceOf(server));
}

/**
 * The gateway's /v3/maintenance/* routes. In etcd 3.4 Hash and HashKV share the path
 * /v3/maintenance/hash and Hash answers it, so HashKV has no gateway route.
 */
export function maintenanceGatewayRoutes(server: EtcdServer): [string, GatewayRoute][] {
  return [
    ['/v3/maintenance/status', route(pb.MaintenanceService.status, pb.StatusRequest, pb.StatusResponse, async () => statusResponse(server))],
    ['/v3/maintenance/alarm', route(pb.MaintenanceService.alarm, pb.AlarmRequest, pb.AlarmResponse, (r) => maintenanceOf(server).alarm(r))],
    ['/v3/maintenance/defragment', route(pb.MaintenanceService.defragment, pb.DefragmentRequest, pb.DefragmentResponse, (_r, auth) => adminOnly(server, auth, (m) => m.defragment()))],
    ['/v3/maintenance/hash', route(pb.MaintenanceService.hash, pb.HashRequest, pb.HashResponse, (_r, auth) => adminOnly(server, auth, (m) => m.hash()))],
  ];
}

export function maintenanceService(server: EtcdServer): MaintenanceServer {
  return {
    status: unary(async () => statusResponse(server)),
    alarm: unary(async (r) => maintenanceOf(server).alarm(r)),
    defragment: unary((_r, call) => adminOnly(server, requestAuth(call.metadata), (m) => m.defragment())),
    hash: unary((_r, call) => adminOnly(server, requestAuth(call.metadata), (m) => m.hash())),
    hashKv: unary((r, call) => adminOnly(server, requestAuth(call.metadata), (m) => m.hashKV(Number(r.revision)))),
    snapshot: snapshotHandler(server),
    moveLeader: unary(async (r) => {
      await server.moveLeader(r.targetID);
      // etcd answers an empty message here, without even a header.
      return { header: undefined };
    }),
    downgrade: unimplemented(),
  };
}
