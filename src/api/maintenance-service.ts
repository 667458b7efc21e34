// etcdserverpb.Maintenance over gRPC: Status now; the rest arrives with the
// maintenance issue and answers UNIMPLEMENTED until then.

import { AlarmRequest_AlarmAction, type MaintenanceServer, type StatusResponse } from '../gen/etcdserverpb/rpc.js';
import { EtcdError, GrpcCode } from '../server/errors.js';
import type { EtcdServer } from '../server/etcd-server.js';
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

export function maintenanceService(server: EtcdServer): MaintenanceServer {
  return {
    status: unary(async () => statusResponse(server)),
    // No alarm can be raised yet (quotas arrive with the maintenance issue), so the list is empty.
    alarm: unary(async (r) => {
      if (r.action !== AlarmRequest_AlarmAction.GET) throw new EtcdError(GrpcCode.Unimplemented, 'alarm activation is not supported yet');
      return { header: server.header(server.currentRevision()), alarms: [] };
    }),
    defragment: unimplemented(),
    hash: unimplemented(),
    hashKv: unimplemented(),
    snapshot: snapshotHandler(server),
    moveLeader: unary(async (r) => {
      await server.moveLeader(r.targetID);
      // etcd answers an empty message here, without even a header.
      return { header: undefined };
    }),
    downgrade: unimplemented(),
  };
}
