// The client port: one grpc-js server and one HTTP/1.1 handler behind a listener per
// --listen-client-urls address, sharing the port as etcd does.

import { learnerGate } from './learner-gate.js';
import http from 'node:http';
import type net from 'node:net';
import type tls from 'node:tls';
import { Server as GrpcServer, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import {
  ClusterService,
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  AuthService,
  KVService,
  LeaseService,
  MaintenanceService,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
  WatchService,
} from '../gen/etcdserverpb/rpc.js';
import { ElectionService } from '../gen/v3electionpb/v3election.js';
import { LockService } from '../gen/v3lockpb/v3lock.js';
import { grpcMetricsInterceptor, initServiceMetrics } from '../metrics/grpc-metrics.js';
import { healthFailures, healthSuccess } from '../metrics/registry.js';
import { scrapeMetrics } from '../metrics/server-metrics.js';
import { CLUSTER_VERSION, SERVER_VERSION, type EtcdServer } from '../server/etcd-server.js';
import { clusterService } from './cluster-service.js';
import { createHttpHandler } from './http-handler.js';
import { corsPolicy } from './cors.js';
import { jsonRoute, type GatewayRoute } from './http-gateway.js';
import { kvService } from './kv-service.js';
import { KV_SERVICE_SHARED_ENCODER } from './kv-service-encoding.js';
import { authGatewayRoutes } from './auth-gateway-routes.js';
import { authService } from './auth-service.js';
import type { RequestAuth } from '../server/auth-gate.js';
import { maintenanceGatewayRoutes, maintenanceService } from './maintenance-service.js';
import { serveNonGrpcStreams } from './grpc-h2-fallback.js';
import { UnaryFastPath } from './unary-fast-path.js';
import { watchService } from './watch-service.js';
import { serveGatewayWatch } from './gateway-watch.js';
import { serveGatewaySnapshot } from './snapshot-service.js';
import { leaseGatewayRoutes, leaseService } from './lease-service.js';
import { clusterGatewayRoutes } from './cluster-service.js';
import { lockGatewayRoutes, lockService } from './lock-service.js';
import { electionGatewayRoutes, electionService } from './election-service.js';
import { listenSharedPort, listenTlsPort } from './shared-port-listener.js';
import { checkHealth, parseHealthQuery } from './health-check.js';
import { checkedRoute, COMPACTION_SCHEMA, DELETE_RANGE_SCHEMA, PUT_SCHEMA, RANGE_SCHEMA, TXN_SCHEMA } from './gateway-kv-json-checks.js';

/** Room for gRPC framing on top of --max-request-bytes, as etcd allows. */
const GRPC_OVERHEAD_BYTES = 512 * 1024;
const MAX_SEND_BYTES = 2 ** 31 - 1;


function gatewayRoutes(server: EtcdServer): Map<string, GatewayRoute> {
  return new Map<string, GatewayRoute>([
    ['/v3/kv/range', checkedRoute(jsonRoute(RangeRequest, RangeResponse, (r, auth) => server.range(r, auth)), RANGE_SCHEMA)],
    ['/v3/kv/put', checkedRoute(jsonRoute(PutRequest, PutResponse, (r, auth) => server.put(r, auth)), PUT_SCHEMA)],
    ['/v3/kv/deleterange', checkedRoute(jsonRoute(DeleteRangeRequest, DeleteRangeResponse, (r, auth) => server.deleteRange(r, auth)), DELETE_RANGE_SCHEMA)],
    ['/v3/kv/txn', checkedRoute(jsonRoute(TxnRequest, TxnResponse, (r, auth) => server.txn(r, auth)), TXN_SCHEMA)],
    ['/v3/kv/compaction', checkedRoute(jsonRoute(CompactionRequest, CompactionResponse, (r, auth) => server.compact(r, auth)), COMPACTION_SCHEMA)],
    ...authGatewayRoutes(server.authApi),
    ...leaseGatewayRoutes(server),
    ...clusterGatewayRoutes(server),
    ...maintenanceGatewayRoutes(server),
    ...lockGatewayRoutes(server),
    ...electionGatewayRoutes(server),
  ]);
}

export interface ClientListenerOptions {
  /** host:port pairs parsed from --listen-client-urls; `tls` for https:// ones. */
  addresses: { host: string; port: number; tls?: tls.TlsOptions | undefined }[];
  maxRequestBytes: number;
  /** --cors: allowed origins, "*" for any; absent means etcd's default "*". */
  cors?: readonly string[];
  /**
   * Serve plain unary calls without grpc-js (src/api/unary-fast-path.ts); default on.
   * ETCD_TS_UNARY_FAST_PATH=0 turns it off, so tests and benchmarks can compare the two.
   */
  unaryFastPath?: boolean;
}

export class ClientServer {
  private readonly grpc: GrpcServer;
  private readonly http1: http.Server;
  private readonly httpHandler: http.RequestListener;
  private readonly listeners: net.Server[] = [];
  private readonly metricsServers: http.Server[] = [];
  private readonly fastPath: UnaryFastPath | undefined;

  constructor(
    private readonly server: EtcdServer,
    private readonly opts: ClientListenerOptions,
  ) {
    this.grpc = new GrpcServer({
      'grpc.max_receive_message_length': opts.maxRequestBytes + GRPC_OVERHEAD_BYTES,
      'grpc.max_send_message_length': MAX_SEND_BYTES,
      // Nothing serves channelz here; with it on, grpc-js tracks every call and message
      // per session (timestamps, counters, closures): ~1% of CPU on a small range.
      'grpc.enable_channelz': 0,
      interceptors: [grpcMetricsInterceptor, learnerGate(() => server.isLearner())],
    });
    // Every series of etcd's services exists from the start, at zero, as in etcd.
    for (const def of [KVService, WatchService, LeaseService, ClusterService, AuthService, MaintenanceService, LockService, ElectionService]) {
      initServiceMetrics(def);
    }
    const services: [ServiceDefinition, UntypedServiceImplementation][] = [
      [KV_SERVICE_SHARED_ENCODER, kvService(server)],
      [MaintenanceService, maintenanceService(server)],
      [ClusterService, clusterService(server)],
      [AuthService, authService(server)],
      [LeaseService, leaseService(server)],
      [WatchService, watchService(server)],
      [LockService, lockService(server)],
      [ElectionService, electionService(server)],
    ];
    if (opts.unaryFastPath ?? process.env['ETCD_TS_UNARY_FAST_PATH'] !== '0') {
      this.fastPath = new UnaryFastPath({ maxReceiveBytes: opts.maxRequestBytes + GRPC_OVERHEAD_BYTES, maxSendBytes: MAX_SEND_BYTES, isLearner: () => server.isLearner() });
    }
    for (const [def, impl] of services) {
      this.grpc.addService(def, impl);
      this.fastPath?.addService(def, impl);
    }
    this.httpHandler = createHttpHandler({ ...this.httpBasics(), routes: gatewayRoutes(server), watch: (req, res) => serveGatewayWatch(server, req, res), snapshot: (req, res) => serveGatewaySnapshot(server, req, res) });
    this.http1 = http.createServer(this.httpHandler);
  }

  /** What every HTTP listener of the member serves: /version, /health, /metrics. */
  private httpBasics() {
    return {
      cors: corsPolicy(this.opts.cors ?? ['*']),
      version: () => ({ etcdserver: SERVER_VERSION, etcdcluster: CLUSTER_VERSION }),
      health: async (url: string) => {
        const h = await checkHealth(this.server.healthProbes(), parseHealthQuery(url));
        (h.health ? healthSuccess : healthFailures).inc();
        return h;
      },
      metrics: scrapeMetrics,
    };
  }

  async listen(): Promise<void> {
    const injector = this.grpc.createConnectionInjector(ServerCredentials.createInsecure());
    const fast = this.fastPath;
    serveNonGrpcStreams(this.grpc, this.httpHandler, fast === undefined ? undefined : (stream, headers) => fast.tryServe(stream, headers));
    for (const a of this.opts.addresses) {
      const shared = { host: a.host, port: a.port, grpc: injector, http1: this.http1 };
      this.listeners.push(await (a.tls ? listenTlsPort({ ...shared, tls: a.tls }) : listenSharedPort(shared)));
    }
  }

  /** --listen-metrics-urls: plain HTTP with /metrics and /health only, no gateway. */
  async listenMetrics(addresses: { host: string; port: number }[]): Promise<void> {
    const { health, metrics } = this.httpBasics();
    const handler = createHttpHandler({ health, metrics, routes: new Map() });
    for (const a of addresses) {
      const server = http.createServer(handler);
      this.metricsServers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(a.port, a.host, () => resolve());
      });
    }
  }

  async close(): Promise<void> {
    for (const s of this.metricsServers) {
      s.closeAllConnections();
      s.close();
    }
    for (const l of this.listeners) l.close();
    this.grpc.forceShutdown();
    this.http1.closeAllConnections();
    this.http1.close();
  }
}
