// etcd's JSON gateway is a gRPC client of its own member: every gateway call the gateway
// passes on is a gRPC call to the member, counted as one in grpc_server_*,
// etcd_server_client_requests_total (no client-api-version metadata: "unknown") and the
// gRPC byte counters. Ours answers gateway calls in process, so it counts each as that
// gRPC call would have been counted: the same method labels, messages, status code and
// protobuf sizes. A body the gateway cannot decode never became a gRPC call: not counted.

import { AuthService, ClusterService, KVService, LeaseService, MaintenanceService, WatchService } from '../gen/etcdserverpb/rpc.js';
import { ElectionService } from '../gen/v3electionpb/v3election.js';
import { LockService } from '../gen/v3lockpb/v3lock.js';
import { countClientRequest, countHandled, countsOf, handlingStart, type MethodCounts } from '../metrics/grpc-metrics.js';
import { grpcBytes } from '../metrics/registry.js';

interface GatewayMethod {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize(value: never): Buffer;
  responseSerialize(value: never): Buffer;
}

/** The gRPC method behind each gateway path (the google.api.http options of etcd's protos). */
const METHODS = new Map<string, GatewayMethod>([
  ['/v3/kv/range', KVService.range],
  ['/v3/kv/put', KVService.put],
  ['/v3/kv/deleterange', KVService.deleteRange],
  ['/v3/kv/txn', KVService.txn],
  ['/v3/kv/compaction', KVService.compact],
  ['/v3/watch', WatchService.watch],
  ['/v3/lease/grant', LeaseService.leaseGrant],
  ['/v3/lease/revoke', LeaseService.leaseRevoke],
  ['/v3/kv/lease/revoke', LeaseService.leaseRevoke],
  ['/v3/lease/keepalive', LeaseService.leaseKeepAlive],
  ['/v3/lease/timetolive', LeaseService.leaseTimeToLive],
  ['/v3/kv/lease/timetolive', LeaseService.leaseTimeToLive],
  ['/v3/lease/leases', LeaseService.leaseLeases],
  ['/v3/kv/lease/leases', LeaseService.leaseLeases],
  ['/v3/cluster/member/add', ClusterService.memberAdd],
  ['/v3/cluster/member/remove', ClusterService.memberRemove],
  ['/v3/cluster/member/update', ClusterService.memberUpdate],
  ['/v3/cluster/member/list', ClusterService.memberList],
  ['/v3/cluster/member/promote', ClusterService.memberPromote],
  ['/v3/maintenance/alarm', MaintenanceService.alarm],
  ['/v3/maintenance/status', MaintenanceService.status],
  ['/v3/maintenance/defragment', MaintenanceService.defragment],
  // Our route answers Hash (see maintenance-service.ts), so it is counted as Hash.
  ['/v3/maintenance/hash', MaintenanceService.hash],
  ['/v3/maintenance/snapshot', MaintenanceService.snapshot],
  ['/v3/maintenance/transfer-leadership', MaintenanceService.moveLeader],
  ['/v3/auth/enable', AuthService.authEnable],
  ['/v3/auth/disable', AuthService.authDisable],
  ['/v3/auth/status', AuthService.authStatus],
  ['/v3/auth/authenticate', AuthService.authenticate],
  ['/v3/auth/user/add', AuthService.userAdd],
  ['/v3/auth/user/get', AuthService.userGet],
  ['/v3/auth/user/list', AuthService.userList],
  ['/v3/auth/user/delete', AuthService.userDelete],
  ['/v3/auth/user/changepw', AuthService.userChangePassword],
  ['/v3/auth/user/grant', AuthService.userGrantRole],
  ['/v3/auth/user/revoke', AuthService.userRevokeRole],
  ['/v3/auth/role/add', AuthService.roleAdd],
  ['/v3/auth/role/get', AuthService.roleGet],
  ['/v3/auth/role/list', AuthService.roleList],
  ['/v3/auth/role/delete', AuthService.roleDelete],
  ['/v3/auth/role/grant', AuthService.roleGrantPermission],
  ['/v3/auth/role/revoke', AuthService.roleRevokePermission],
  ['/v3/lock/lock', LockService.lock],
  ['/v3/lock/unlock', LockService.unlock],
  ['/v3/election/campaign', ElectionService.campaign],
  ['/v3/election/proclaim', ElectionService.proclaim],
  ['/v3/election/leader', ElectionService.leader],
  ['/v3/election/observe', ElectionService.observe],
  ['/v3/election/resign', ElectionService.resign],
] as [string, GatewayMethod][]);

/** One gateway call counted as the gRPC call etcd's gateway would have made. */
export class GatewayGrpcCall {
  private readonly counts: MethodCounts;
  private finished = false;
  private readonly startedAt = handlingStart();

  private constructor(private readonly method: GatewayMethod) {
    this.counts = countsOf(method);
    this.counts.started++;
    countClientRequest(method.requestStream || method.responseStream ? 'stream' : 'unary', undefined);
  }

  /** Starts counting a call to the method behind gateway path `path` (undefined: no such method). */
  static start(path: string): GatewayGrpcCall | undefined {
    const method = METHODS.get(path);
    return method === undefined ? undefined : new GatewayGrpcCall(method);
  }

  /** A request message the member received. */
  received(request: unknown): void {
    this.counts.received++;
    grpcBytes.received += this.method.requestSerialize(request as never).length;
  }

  /** A response message the member sent. */
  sent(response: unknown): void {
    this.counts.sent++;
    grpcBytes.sent += this.method.responseSerialize(response as never).length;
  }

  /** The call's status; only the first counts. */
  finish(code: number): void {
    if (this.finished) return;
    this.finished = true;
    countHandled(this.counts, code, this.startedAt);
  }
}
