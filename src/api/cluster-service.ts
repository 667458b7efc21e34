// etcdserverpb.Cluster over gRPC. Membership changes arrive with the raft issue; the
// list is served from the applied membership.

import type { ClusterServer, Member as PbMember } from '../gen/etcdserverpb/rpc.js';
import type { EtcdServer } from '../server/etcd-server.js';
import type { Member } from '../server/membership.js';
import { unary, unimplemented } from './unary.js';

export function toPbMember(m: Member): PbMember {
  return { ID: m.id, name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs, isLearner: m.isLearner };
}


export function clusterService(server: EtcdServer): ClusterServer {
  return {
    memberList: unary(async () => ({
      // etcd answers member list with a header that carries no revision.
      header: server.header(0),
      members: server.membership.list().map(toPbMember),
    })),
    memberAdd: unimplemented(),
    memberRemove: unimplemented(),
    memberUpdate: unimplemented(),
    memberPromote: unimplemented(),
  };
}
