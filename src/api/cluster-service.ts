// etcdserverpb.Cluster over gRPC and the JSON gateway's /v3/cluster/member/*: the member
// list as applied, and membership changes through the member's ClusterApi. Responses
// carry a header without a revision, as etcd's do.

import * as pb from '../gen/etcdserverpb/rpc.js';
import type { ClusterServer, Member as PbMember } from '../gen/etcdserverpb/rpc.js';
import type { EtcdServer } from '../server/etcd-server.js';
import type { Member } from '../server/membership.js';
import type { RequestAuth } from '../server/auth-gate.js';
import { unary } from './unary.js';
import { requestAuth } from './request-auth.js';
import { jsonRoute as route, type GatewayRoute } from './http-gateway.js';

export function toPbMember(m: Member): PbMember {
  return { ID: m.id, name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs, isLearner: m.isLearner };
}

/** The Cluster RPCs once, for gRPC and the gateway alike. */
function clusterHandlers(server: EtcdServer) {
  const members = () => server.membership.list().map(toPbMember);
  return {
    memberList: async (_r: pb.MemberListRequest): Promise<pb.MemberListResponse> => ({ header: server.header(0), members: members() }),
    memberAdd: async (r: pb.MemberAddRequest, auth?: RequestAuth): Promise<pb.MemberAddResponse> => {
      const m = await server.cluster.add(r.peerURLs, r.isLearner, auth);
      return { header: server.header(0), member: toPbMember(m), members: members() };
    },
    memberRemove: async (r: pb.MemberRemoveRequest, auth?: RequestAuth): Promise<pb.MemberRemoveResponse> => {
      await server.cluster.remove(r.ID, auth);
      return { header: server.header(0), members: members() };
    },
    memberUpdate: async (r: pb.MemberUpdateRequest, auth?: RequestAuth): Promise<pb.MemberUpdateResponse> => {
      await server.cluster.update(r.ID, r.peerURLs, auth);
      return { header: server.header(0), members: members() };
    },
    memberPromote: async (r: pb.MemberPromoteRequest, auth?: RequestAuth): Promise<pb.MemberPromoteResponse> => {
      await server.cluster.promote(r.ID, auth);
      return { header: server.header(0), members: members() };
    },
  };
}

export function clusterService(server: EtcdServer): ClusterServer {
  const h = clusterHandlers(server);
  return {
    memberList: unary((r) => h.memberList(r)),
    memberAdd: unary((r, call) => h.memberAdd(r, requestAuth(call.metadata))),
    memberRemove: unary((r, call) => h.memberRemove(r, requestAuth(call.metadata))),
    memberUpdate: unary((r, call) => h.memberUpdate(r, requestAuth(call.metadata))),
    memberPromote: unary((r, call) => h.memberPromote(r, requestAuth(call.metadata))),
  };
}

export function clusterGatewayRoutes(server: EtcdServer): [string, GatewayRoute][] {
  const h = clusterHandlers(server);
  return [
    ['/v3/cluster/member/list', route(pb.ClusterService.memberList, pb.MemberListRequest, pb.MemberListResponse, (r) => h.memberList(r))],
    ['/v3/cluster/member/add', route(pb.ClusterService.memberAdd, pb.MemberAddRequest, pb.MemberAddResponse, (r, a) => h.memberAdd(r, a))],
    ['/v3/cluster/member/remove', route(pb.ClusterService.memberRemove, pb.MemberRemoveRequest, pb.MemberRemoveResponse, (r, a) => h.memberRemove(r, a))],
    ['/v3/cluster/member/update', route(pb.ClusterService.memberUpdate, pb.MemberUpdateRequest, pb.MemberUpdateResponse, (r, a) => h.memberUpdate(r, a))],
    ['/v3/cluster/member/promote', route(pb.ClusterService.memberPromote, pb.MemberPromoteRequest, pb.MemberPromoteResponse, (r, a) => h.memberPromote(r, a))],
    ['/v3/maintenance/transfer-leadership', route(pb.MaintenanceService.moveLeader, pb.MoveLeaderRequest, pb.MoveLeaderResponse, async (r) => {
      await server.moveLeader(r.targetID);
      return { header: undefined };
    })],
  ];
}
