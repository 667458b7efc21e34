// The TypeScript etcd client used by etcdctl (and later the benchmark and console):
// one gRPC channel per endpoint, per-call deadlines, and failover of calls to the next
// endpoint when one is unreachable.

import { connectivityState, credentials, Metadata, status as GrpcStatus, type CallOptions, type ServiceError, type ClientOptions } from '@grpc/grpc-js';
import {
  AlarmRequest,
  AlarmResponse,
  ClusterClient,
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KVClient,
  MaintenanceClient,
  MemberListRequest,
  MemberListResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  StatusRequest,
  StatusResponse,
  TxnRequest,
  TxnResponse,
} from '../gen/etcdserverpb/rpc.js';

export interface ClientConfig {
  /** host:port, http://host:port or https://host:port */
  endpoints: string[];
  dialTimeoutMs: number;
  /** Deadline of each call; 0 for none. */
  commandTimeoutMs: number;
}

export const GRPC_CODE_NAMES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'];

/** A failed call: gRPC's status code and etcd's message (the status details). */
export class ClientError extends Error {
  constructor(
    readonly code: number,
    message: string,
    /** The endpoint that answered with the error, when one did. */
    readonly endpoint?: string,
    /** The status description as Go's gRPC would word it, when it differs from `message`. */
    readonly goDetails?: string,
  ) {
    super(message);
    this.name = 'ClientError';
  }

  /** The status as Go's gRPC prints it. */
  get grpcText(): string {
    return `rpc error: code = ${GRPC_CODE_NAMES[this.code] ?? this.code} desc = ${this.goDetails ?? this.message}`;
  }

  /**
   * The error as clientv3 shows it: etcd's own errors (recognised by their message) as
   * the bare message, anything else as the full gRPC status.
   */
  get userText(): string {
    if (this.code === GrpcStatus.DEADLINE_EXCEEDED || this.message.startsWith('etcdserver: ')) return this.message;
    return this.grpcText;
  }
}

/** Responses are not capped (grpc-js's ceiling is 2 GiB). */
const MAX_RECEIVE_BYTES = 2 ** 31 - 1;
/** Requests are capped at 2 MiB, clientv3's default, and refused before sending. */
export const MAX_SEND_BYTES = 2 * 1024 * 1024;

export function endpointTarget(ep: string): string {
  return ep.replace(/^https?:\/\//, '').replace(/\/$/, '');
}

type Unary<Req, Res> = (req: Req, md: Metadata, opts: Partial<CallOptions>, cb: (err: ServiceError | null, res?: Res) => void) => unknown;

interface Stubs {
  kv: KVClient;
  maintenance: MaintenanceClient;
  cluster: ClusterClient;
}

export class Client {
  private readonly stubs: Stubs[];
  private current = 0;

  constructor(readonly config: ClientConfig) {
    const opts: Partial<ClientOptions> = {
      'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
      'grpc.max_send_message_length': MAX_RECEIVE_BYTES,
    };
    this.stubs = config.endpoints.map((ep) => {
      const target = endpointTarget(ep);
      const creds = credentials.createInsecure();
      return { kv: new KVClient(target, creds, opts), maintenance: new MaintenanceClient(target, creds, opts), cluster: new ClusterClient(target, creds, opts) };
    });
  }

  /** A client for one endpoint only (etcdctl endpoint status/health ask each endpoint). */
  forEndpoint(ep: string): Client {
    return new Client({ ...this.config, endpoints: [ep] });
  }

  close(): void {
    for (const s of this.stubs) {
      s.kv.close();
      s.maintenance.close();
      s.cluster.close();
    }
  }

  /**
   * Calls `pick(stubs)` on the current endpoint; an endpoint that cannot be reached
   * (UNAVAILABLE before any answer) moves the call to the next one.
   */
  private async call<Req, Res>(pick: (s: Stubs) => Unary<Req, Res>, req: Req, size?: number): Promise<Res> {
    if (size !== undefined && size > MAX_SEND_BYTES) {
      throw new ClientError(GrpcStatus.RESOURCE_EXHAUSTED, `trying to send message larger than max (${size} vs. ${MAX_SEND_BYTES})`, endpointTarget(this.config.endpoints[this.current]!));
    }
    const started = Date.now();
    let lastErr: ClientError | undefined;
    for (let attempt = 0; attempt < this.stubs.length; attempt++) {
      const i = (this.current + attempt) % this.stubs.length;
      const stub = this.stubs[i]!;
      const timeout = this.config.commandTimeoutMs > 0 ? this.config.commandTimeoutMs - (Date.now() - started) : 0;
      const options: Partial<CallOptions> = timeout > 0 ? { deadline: new Date(Date.now() + timeout) } : {};
      try {
        const res = await new Promise<Res>((resolve, reject) => {
          // Like clientv3, keep (re)connecting until the deadline instead of failing at once.
          pick(stub)(req, new Metadata({ waitForReady: true }), options, (err, r) => (err ? reject(err) : resolve(r as Res)));
        });
        this.current = i;
        return res;
      } catch (err) {
        const e = err as ServiceError;
        const target = endpointTarget(this.config.endpoints[i]!);
        // A channel that never connected: Go words the timeout after the dial error.
        const refused = stub.kv.getChannel().getConnectivityState(false) === connectivityState.TRANSIENT_FAILURE;
        lastErr = new ClientError(
          e.code ?? GrpcStatus.UNKNOWN,
          e.code === GrpcStatus.DEADLINE_EXCEEDED ? 'context deadline exceeded' : (e.details ?? e.message),
          target,
          e.code === GrpcStatus.DEADLINE_EXCEEDED && refused
            ? `latest balancer error: connection error: desc = "transport: Error while dialing dial tcp ${target}: connect: connection refused"`
            : undefined,
        );
        if (e.code !== GrpcStatus.UNAVAILABLE) throw lastErr;
      }
    }
    throw lastErr ?? new ClientError(GrpcStatus.UNAVAILABLE, 'no endpoints');
  }

  range(r: Partial<RangeRequest>): Promise<RangeResponse> {
    return this.call((s) => s.kv.range.bind(s.kv) as Unary<RangeRequest, RangeResponse>, RangeRequest.fromPartial(r));
  }

  put(r: Partial<PutRequest>): Promise<PutResponse> {
    const req = PutRequest.fromPartial(r);
    return this.call((s) => s.kv.put.bind(s.kv) as Unary<PutRequest, PutResponse>, req, PutRequest.encode(req).finish().length);
  }

  deleteRange(r: Partial<DeleteRangeRequest>): Promise<DeleteRangeResponse> {
    return this.call((s) => s.kv.deleteRange.bind(s.kv) as Unary<DeleteRangeRequest, DeleteRangeResponse>, DeleteRangeRequest.fromPartial(r));
  }

  txn(r: TxnRequest): Promise<TxnResponse> {
    return this.call((s) => s.kv.txn.bind(s.kv) as Unary<TxnRequest, TxnResponse>, r, TxnRequest.encode(r).finish().length);
  }

  compact(r: Partial<CompactionRequest>): Promise<CompactionResponse> {
    return this.call((s) => s.kv.compact.bind(s.kv) as Unary<CompactionRequest, CompactionResponse>, CompactionRequest.fromPartial(r));
  }

  status(): Promise<StatusResponse> {
    return this.call((s) => s.maintenance.status.bind(s.maintenance) as Unary<StatusRequest, StatusResponse>, StatusRequest.fromPartial({}));
  }

  alarmList(): Promise<AlarmResponse> {
    return this.call((s) => s.maintenance.alarm.bind(s.maintenance) as Unary<AlarmRequest, AlarmResponse>, AlarmRequest.fromPartial({}));
  }

  memberList(): Promise<MemberListResponse> {
    return this.call((s) => s.cluster.memberList.bind(s.cluster) as Unary<MemberListRequest, MemberListResponse>, MemberListRequest.fromPartial({}));
  }
}
