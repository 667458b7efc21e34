// etcdserverpb.Cluster over gRPC: the member list as applied, and membership changes
// through the member's ClusterApi. Responses carry a header without a revision, as etcd's.

import type { ClusterServer, Member as PbMember } from '../gen/etcdserverpb/rpc.js';
import type { EtcdServer } from '../server/etcd-server.js';
import type { Member } from '../server/membership.js';
import { unary } from './unary.js';
import { requestAuth } from './request-auth.js';

export function toPbMember(m: Member): PbMember {
  return { ID: m.id, name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs, isLearner: m.isLearner };
}


export function clusterService(server: EtcdServer): ClusterServer {
  const members = () => server.membership.list().map(toPbMember);
  return {
    memberList: unary(async () => ({
      // etcd answers member list with a header that carries no revision.
      header: server.header(0),
      members: server.membership.list().map(toPbMember),
    })),
    memberAdd: unary(async (r, call) => {
      const m = await server.cluster.add(r.peerURLs, r.isLearner, requestAuth(call.metadata));
      return { header: server.header(0), member: toPbMember(m), members: members() };
    }),
    memberRemove: unary(async (r, call) => {
      await server.cluster.remove(r.ID, requestAuth(call.metadata));
      return { header: server.header(0), members: members() };
    }),
    memberUpdate: unary(async (r, call) => {
      await server.cluster.update(r.ID, r.peerURLs, requestAuth(call.metadata));
      return { header: server.header(0), members: members() };
    }),
    memberPromote: unary(async (r, call) => {
      await server.cluster.promote(r.ID, requestAuth(call.metadata));
      return { header: server.header(0), members: members() };
    }),
  };
}
