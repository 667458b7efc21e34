// etcd's JSON gateway is a gRPC client of its own member: every gateway call the gateway
// passes on is a gRPC call to the member, counted as one in grpc_server_*,
// etcd_server_client_requests_total (no client-api-version metadata: "unknown") and the
// gRPC byte counters. Ours answers gateway calls in process, so it counts each as that
// gRPC call would have been counted: the same method labels, messages, status code and
// protobuf sizes. A body the gateway cannot decode never became a gRPC call: not counted.

import { countClientRequest, countHandled, countsOf, handlingStart, type MethodCounts } from '../metrics/grpc-metrics.js';
import { grpcBytes } from '../metrics/registry.js';

/**
 * A gRPC method as the generated service definitions describe it (e.g. KVService.range):
 * each gateway route names the one behind it (GatewayRoute.method, the google.api.http
 * options of etcd's protos), so no separate path table can miss a route.
 */
export interface GrpcMethod<Req = never, Res = never> {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize(value: Req): Buffer;
  responseSerialize(value: Res): Buffer;
}

/** One gateway call counted as the gRPC call etcd's gateway would have made. */
export class GatewayGrpcCall {
  private readonly counts: MethodCounts;
  private finished = false;
  private readonly startedAt = handlingStart();

  constructor(private readonly method: GrpcMethod) {
    this.counts = countsOf(method);
    this.counts.started++;
    countClientRequest(method.requestStream || method.responseStream ? 'stream' : 'unary', undefined);
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
