// The TypeScript etcd client used by etcdctl, the benchmark and the console: typed calls
// for every etcd v3 service, returning the generated message types. Connection handling,
// deadlines, failover and auth tokens live in client-core.ts; watch and lease keep-alive
// streams in watch.ts and lease-keepalive.ts.
//
//   const c = new Client({ endpoints: ['127.0.0.1:2379'], commandTimeoutMs: 5000 });
//   await c.put({ key: Buffer.from('a'), value: Buffer.from('1') });
//   const r = await c.range({ key: Buffer.from('a') });   // r.kvs[0].value
//   c.close();
//
// Requests are given as ts-proto's DeepPartial (fields may be omitted; 64-bit fields accept
// bigint, number or decimal string); responses are the full generated types with bigint
// for every 64-bit field and Buffer for bytes.

import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  AlarmRequest,
  AlarmRequest_AlarmAction,
  AlarmResponse,
  AlarmType,
  AuthService,
  ClusterService,
  CompactionRequest,
  CompactionResponse,
  DefragmentRequest,
  DefragmentResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  DowngradeRequest,
  DowngradeResponse,
  HashKVRequest,
  HashKVResponse,
  HashRequest,
  HashResponse,
  KVService,
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseLeasesRequest,
  LeaseLeasesResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseService,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
  MaintenanceService,
  MemberAddRequest,
  MemberAddResponse,
  MemberListRequest,
  MemberListResponse,
  MemberPromoteRequest,
  MemberPromoteResponse,
  MemberRemoveRequest,
  MemberRemoveResponse,
  MemberUpdateRequest,
  MemberUpdateResponse,
  MoveLeaderRequest,
  MoveLeaderResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  SnapshotRequest,
  SnapshotResponse,
  StatusRequest,
  StatusResponse,
  TxnRequest,
  TxnResponse,
} from '../gen/etcdserverpb/rpc.js';
import * as pb from '../gen/etcdserverpb/rpc.js';
import type { CampaignRequest, CampaignResponse, LeaderResponse, ProclaimRequest, ProclaimResponse, ResignRequest, ResignResponse } from '../gen/v3electionpb/v3election.js';
import type { LockResponse, UnlockResponse } from '../gen/v3lockpb/v3lock.js';
import { ClientCore, type CallOptions, type ClientConfig } from './client-core.js';
import { parseEndpoint } from './endpoint.js';
import { ClientError, fromServiceError } from './errors.js';
import { LeaseKeepAlive, keepAliveOnce } from './lease-keepalive.js';
import { WatchStream } from './watch.js';
import type { ServiceError } from '@grpc/grpc-js';

export { ClientError, GRPC_CODE_NAMES } from './errors.js';
export { endpointTarget, parseEndpoint, type Endpoint } from './endpoint.js';
export { MAX_SEND_BYTES, type CallOptions, type ClientConfig } from './client-core.js';
export { WatchStream, type Watcher } from './watch.js';
export { LeaseKeepAlive } from './lease-keepalive.js';

/** The request shape `X.fromPartial` accepts (ts-proto's DeepPartial of the message). */
export type Init<M extends { fromPartial: (object: never) => unknown }> = Parameters<M['fromPartial']>[0];

/** A 64-bit id or revision as callers may hold it. */
export type Int64 = bigint | number | string;

export class Client extends ClientCore {
  /**
   * A client for one endpoint only, sharing this client's connection when the endpoint is
   * one of its own (etcdctl endpoint status/health ask each endpoint in turn). Closing it
   * leaves shared connections open.
   */
  forEndpoint(ep: string): Client {
    const address = parseEndpoint(ep).address;
    const conn = this.conns.find((c) => c.endpoint.raw === ep || c.endpoint.address === address);
    return new Client({ ...this.config, endpoints: [ep] }, conn === undefined ? undefined : [conn]);
  }

  // ---- KV ----

  range(r: Init<typeof RangeRequest>, opts?: CallOptions): Promise<RangeResponse> {
    return this.unary(KVService.range, RangeRequest.fromPartial(r), 'read', opts);
  }

  put(r: Init<typeof PutRequest>, opts?: CallOptions): Promise<PutResponse> {
    return this.unary(KVService.put, PutRequest.fromPartial(r), 'write', opts);
  }

  deleteRange(r: Init<typeof DeleteRangeRequest>, opts?: CallOptions): Promise<DeleteRangeResponse> {
    return this.unary(KVService.deleteRange, DeleteRangeRequest.fromPartial(r), 'write', opts);
  }

  /** A transaction whose branches only read is retried like a read. */
  txn(r: Init<typeof TxnRequest>, opts?: CallOptions): Promise<TxnResponse> {
    const req = TxnRequest.fromPartial(r);
    return this.unary(KVService.txn, req, txnReadOnly(req) ? 'read' : 'write', opts);
  }

  compact(r: Init<typeof CompactionRequest>, opts?: CallOptions): Promise<CompactionResponse> {
    return this.unary(KVService.compact, CompactionRequest.fromPartial(r), 'write', opts);
  }

  // ---- Maintenance ----

  status(opts?: CallOptions): Promise<StatusResponse> {
    return this.unary(MaintenanceService.status, StatusRequest.fromPartial({}), 'read', opts);
  }

  hash(opts?: CallOptions): Promise<HashResponse> {
    return this.unary(MaintenanceService.hash, HashRequest.fromPartial({}), 'read', opts);
  }

  /** Hash of the keys up to `revision` (0: the current revision). */
  hashKV(revision: Int64 = 0n, opts?: CallOptions): Promise<HashKVResponse> {
    return this.unary(MaintenanceService.hashKv, HashKVRequest.fromPartial({ revision }), 'read', opts);
  }

  alarm(r: Init<typeof AlarmRequest>, opts?: CallOptions): Promise<AlarmResponse> {
    const req = AlarmRequest.fromPartial(r);
    return this.unary(MaintenanceService.alarm, req, req.action === AlarmRequest_AlarmAction.GET ? 'read' : 'write', opts);
  }

  /** Every raised alarm (etcdctl alarm list). */
  alarmList(opts?: CallOptions): Promise<AlarmResponse> {
    return this.alarm({ action: AlarmRequest_AlarmAction.GET, memberID: 0n, alarm: AlarmType.NONE }, opts);
  }

  /** Clears every raised alarm on every member (etcdctl alarm disarm). */
  alarmDisarmAll(opts?: CallOptions): Promise<AlarmResponse> {
    return this.alarm({ action: AlarmRequest_AlarmAction.DEACTIVATE, memberID: 0n, alarm: AlarmType.NONE }, opts);
  }

  defragment(opts?: CallOptions): Promise<DefragmentResponse> {
    return this.unary(MaintenanceService.defragment, DefragmentRequest.fromPartial({}), 'write', opts);
  }

  moveLeader(targetID: Int64, opts?: CallOptions): Promise<MoveLeaderResponse> {
    return this.unary(MaintenanceService.moveLeader, MoveLeaderRequest.fromPartial({ targetID }), 'write', opts);
  }

  downgrade(r: Init<typeof DowngradeRequest>, opts?: CallOptions): Promise<DowngradeResponse> {
    return this.unary(MaintenanceService.downgrade, DowngradeRequest.fromPartial(r), 'write', opts);
  }

  /**
   * The member's backend as a stream of chunks (etcdctl snapshot save). The first
   * response's header is the snapshot's point in time; `remainingBytes` counts down.
   * No deadline applies to the stream itself, only to finding a live endpoint.
   */
  async *snapshot(opts?: CallOptions): AsyncGenerator<SnapshotResponse> {
    const { stream, endpoint } = await this.openServerStream(MaintenanceService.snapshot, SnapshotRequest.fromPartial({}), opts);
    try {
      for await (const chunk of stream) yield chunk as SnapshotResponse;
    } catch (err) {
      throw fromServiceError(err as ServiceError, endpoint);
    } finally {
      stream.cancel();
    }
  }

  // ---- Cluster ----

  /** `linearizable` (etcd 3.5) reads the member list through raft instead of locally. */
  memberList(linearizable = false, opts?: CallOptions): Promise<MemberListResponse> {
    return this.unary(ClusterService.memberList, MemberListRequest.fromPartial({ linearizable }), 'read', opts);
  }

  memberAdd(peerURLs: string[], isLearner = false, opts?: CallOptions): Promise<MemberAddResponse> {
    return this.unary(ClusterService.memberAdd, MemberAddRequest.fromPartial({ peerURLs, isLearner }), 'write', opts);
  }

  memberRemove(ID: Int64, opts?: CallOptions): Promise<MemberRemoveResponse> {
    return this.unary(ClusterService.memberRemove, MemberRemoveRequest.fromPartial({ ID }), 'write', opts);
  }

  memberUpdate(ID: Int64, peerURLs: string[], opts?: CallOptions): Promise<MemberUpdateResponse> {
    return this.unary(ClusterService.memberUpdate, MemberUpdateRequest.fromPartial({ ID, peerURLs }), 'write', opts);
  }

  memberPromote(ID: Int64, opts?: CallOptions): Promise<MemberPromoteResponse> {
    return this.unary(ClusterService.memberPromote, MemberPromoteRequest.fromPartial({ ID }), 'write', opts);
  }

  // ---- Lease ----

  /** A lease of `ttlSec` seconds; `ID` 0 lets the server choose. */
  leaseGrant(ttlSec: Int64, ID: Int64 = 0n, opts?: CallOptions): Promise<LeaseGrantResponse> {
    return this.unary(LeaseService.leaseGrant, LeaseGrantRequest.fromPartial({ TTL: ttlSec, ID }), 'write', opts);
  }

  leaseRevoke(ID: Int64, opts?: CallOptions): Promise<LeaseRevokeResponse> {
    return this.unary(LeaseService.leaseRevoke, LeaseRevokeRequest.fromPartial({ ID }), 'write', opts);
  }

  leaseTimeToLive(ID: Int64, keys = false, opts?: CallOptions): Promise<LeaseTimeToLiveResponse> {
    return this.unary(LeaseService.leaseTimeToLive, LeaseTimeToLiveRequest.fromPartial({ ID, keys }), 'read', opts);
  }

  leaseLeases(opts?: CallOptions): Promise<LeaseLeasesResponse> {
    return this.unary(LeaseService.leaseLeases, LeaseLeasesRequest.fromPartial({}), 'read', opts);
  }

  /** One keep-alive round trip (etcdctl lease keep-alive --once); TTL 0 means the lease is gone. */
  async leaseKeepAliveOnce(ID: Int64, opts?: CallOptions): Promise<pb.LeaseKeepAliveResponse> {
    const { stream, endpoint } = await this.openBidi(LeaseService.leaseKeepAlive, opts);
    return keepAliveOnce(stream, BigInt(ID), endpoint);
  }

  /** Keeps lease `ID` alive until `stop()`, renewing at a third of its TTL. */
  leaseKeepAlive(ID: Int64, onResponse?: (r: pb.LeaseKeepAliveResponse) => void): LeaseKeepAlive {
    return new LeaseKeepAlive(this, BigInt(ID), onResponse);
  }

  // ---- Watch ----

  /** A watch stream that can carry many watches; it resumes on another endpoint if its own fails. */
  watchStream(): WatchStream {
    return new WatchStream(this);
  }

  // ---- Auth ----

  authenticate(name: string, password: string, opts?: CallOptions): Promise<pb.AuthenticateResponse> {
    return this.unary(AuthService.authenticate, pb.AuthenticateRequest.fromPartial({ name, password }), 'write', opts);
  }
  authEnable(opts?: CallOptions): Promise<pb.AuthEnableResponse> {
    return this.unary(AuthService.authEnable, pb.AuthEnableRequest.fromPartial({}), 'write', opts);
  }
  authDisable(opts?: CallOptions): Promise<pb.AuthDisableResponse> {
    return this.unary(AuthService.authDisable, pb.AuthDisableRequest.fromPartial({}), 'write', opts);
  }
  authStatus(opts?: CallOptions): Promise<pb.AuthStatusResponse> {
    return this.unary(AuthService.authStatus, pb.AuthStatusRequest.fromPartial({}), 'read', opts);
  }
  userAdd(r: Init<typeof pb.AuthUserAddRequest>, opts?: CallOptions): Promise<pb.AuthUserAddResponse> {
    return this.unary(AuthService.userAdd, pb.AuthUserAddRequest.fromPartial(r), 'write', opts);
  }
  userGet(name: string, opts?: CallOptions): Promise<pb.AuthUserGetResponse> {
    return this.unary(AuthService.userGet, pb.AuthUserGetRequest.fromPartial({ name }), 'read', opts);
  }
  userList(opts?: CallOptions): Promise<pb.AuthUserListResponse> {
    return this.unary(AuthService.userList, pb.AuthUserListRequest.fromPartial({}), 'read', opts);
  }
  userDelete(name: string, opts?: CallOptions): Promise<pb.AuthUserDeleteResponse> {
    return this.unary(AuthService.userDelete, pb.AuthUserDeleteRequest.fromPartial({ name }), 'write', opts);
  }
  userChangePassword(name: string, password: string, opts?: CallOptions): Promise<pb.AuthUserChangePasswordResponse> {
    return this.unary(AuthService.userChangePassword, pb.AuthUserChangePasswordRequest.fromPartial({ name, password }), 'write', opts);
  }
  userGrantRole(user: string, role: string, opts?: CallOptions): Promise<pb.AuthUserGrantRoleResponse> {
    return this.unary(AuthService.userGrantRole, pb.AuthUserGrantRoleRequest.fromPartial({ user, role }), 'write', opts);
  }
  userRevokeRole(name: string, role: string, opts?: CallOptions): Promise<pb.AuthUserRevokeRoleResponse> {
    return this.unary(AuthService.userRevokeRole, pb.AuthUserRevokeRoleRequest.fromPartial({ name, role }), 'write', opts);
  }
  roleAdd(name: string, opts?: CallOptions): Promise<pb.AuthRoleAddResponse> {
    return this.unary(AuthService.roleAdd, pb.AuthRoleAddRequest.fromPartial({ name }), 'write', opts);
  }
  roleGet(role: string, opts?: CallOptions): Promise<pb.AuthRoleGetResponse> {
    return this.unary(AuthService.roleGet, pb.AuthRoleGetRequest.fromPartial({ role }), 'read', opts);
  }
  roleList(opts?: CallOptions): Promise<pb.AuthRoleListResponse> {
    return this.unary(AuthService.roleList, pb.AuthRoleListRequest.fromPartial({}), 'read', opts);
  }
  roleDelete(role: string, opts?: CallOptions): Promise<pb.AuthRoleDeleteResponse> {
    return this.unary(AuthService.roleDelete, pb.AuthRoleDeleteRequest.fromPartial({ role }), 'write', opts);
  }
  roleGrantPermission(r: Init<typeof pb.AuthRoleGrantPermissionRequest>, opts?: CallOptions): Promise<pb.AuthRoleGrantPermissionResponse> {
    return this.unary(AuthService.roleGrantPermission, pb.AuthRoleGrantPermissionRequest.fromPartial(r), 'write', opts);
  }
  roleRevokePermission(r: Init<typeof pb.AuthRoleRevokePermissionRequest>, opts?: CallOptions): Promise<pb.AuthRoleRevokePermissionResponse> {
    return this.unary(AuthService.roleRevokePermission, pb.AuthRoleRevokePermissionRequest.fromPartial(r), 'write', opts);
  }

  // ---- Lock and Election (v3lockpb, v3electionpb) ----
  // Their generated code is imported on first use: most clients (etcdctl get/put, the
  // benchmark) never call these, and loading it is a measurable part of etcdctl's start-up.

  /** Blocks until the lock is held; give a timeout of 0 to wait without a deadline. */
  async lock(name: Buffer, lease: Int64 = 0n, opts?: CallOptions): Promise<LockResponse> {
    const { LockService, LockRequest } = await lockProtos();
    return this.unary(LockService.lock, LockRequest.fromPartial({ name, lease }), 'write', opts);
  }
  async unlock(key: Buffer, opts?: CallOptions): Promise<UnlockResponse> {
    const { LockService, UnlockRequest } = await lockProtos();
    return this.unary(LockService.unlock, UnlockRequest.fromPartial({ key }), 'write', opts);
  }
  async campaign(r: Init<typeof CampaignRequest>, opts?: CallOptions): Promise<CampaignResponse> {
    const { ElectionService, CampaignRequest } = await electionProtos();
    return this.unary(ElectionService.campaign, CampaignRequest.fromPartial(r), 'write', opts);
  }
  async proclaim(r: Init<typeof ProclaimRequest>, opts?: CallOptions): Promise<ProclaimResponse> {
    const { ElectionService, ProclaimRequest } = await electionProtos();
    return this.unary(ElectionService.proclaim, ProclaimRequest.fromPartial(r), 'write', opts);
  }
  async leader(name: Buffer, opts?: CallOptions): Promise<LeaderResponse> {
    const { ElectionService, LeaderRequest } = await electionProtos();
    return this.unary(ElectionService.leader, LeaderRequest.fromPartial({ name }), 'read', opts);
  }
  async resign(r: Init<typeof ResignRequest>, opts?: CallOptions): Promise<ResignResponse> {
    const { ElectionService, ResignRequest } = await electionProtos();
    return this.unary(ElectionService.resign, ResignRequest.fromPartial(r), 'write', opts);
  }
  /** Each value the election's leaders proclaim, in order, until the caller stops iterating. */
  async *observe(name: Buffer, opts?: CallOptions): AsyncGenerator<LeaderResponse> {
    const { ElectionService, LeaderRequest } = await electionProtos();
    const { stream, endpoint } = await this.openServerStream(ElectionService.observe, LeaderRequest.fromPartial({ name }), opts);
    try {
      for await (const r of stream) yield r as LeaderResponse;
    } catch (err) {
      if ((err as ServiceError).code === GrpcStatus.CANCELLED) return;
      throw err instanceof ClientError ? err : fromServiceError(err as ServiceError, endpoint);
    } finally {
      stream.cancel();
    }
  }
}

const lockProtos = () => import('../gen/v3lockpb/v3lock.js');
const electionProtos = () => import('../gen/v3electionpb/v3election.js');

/** Whether every operation of both branches (nested transactions included) is a range. */
function txnReadOnly(t: TxnRequest): boolean {
  const ops = [...t.success, ...t.failure];
  return ops.every((op) => op.requestRange !== undefined || (op.requestTxn !== undefined && txnReadOnly(op.requestTxn)));
}

