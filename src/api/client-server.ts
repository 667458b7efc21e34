// The client port: one grpc-js server and one HTTP/1.1 handler behind a listener per
// --listen-client-urls address, sharing the port as etcd does.

import { learnerGate } from './learner-gate.js';
import http from 'node:http';
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
import { enableHandlingTimeHistogram, grpcMetricsInterceptor, initServiceMetrics } from '../metrics/grpc-metrics.js';
import { healthFailures, healthSuccess } from '../metrics/registry.js';
import { scrapeMetrics } from '../metrics/server-metrics.js';
import { CLUSTER_VERSION, SERVER_VERSION, type EtcdServer } from '../server/etcd-server.js';
import { clusterService } from './cluster-service.js';
import { createHttpHandler } from './http-handler.js';
import { corsPolicy } from './cors.js';
import { hostPolicy } from './host-whitelist.js';
import { jsonRoute, type GatewayRoute } from './http-gateway.js';
import { kvService } from './kv-service.js';
import { KV_SERVICE_SHARED_ENCODER } from './kv-service-encoding.js';
import { authGatewayRoutes } from './auth-gateway-routes.js';
import { authService } from './auth-service.js';
import type { RequestAuth } from '../server/auth-gate.js';
import { maintenanceGatewayRoutes, maintenanceService } from './maintenance-service.js';
import { serveNonGrpcStreams } from './grpc-h2-fallback.js';
import { UnaryFastPath } from './unary-fast-path.js';
import { frontEndCalls } from './front-end-calls.js';
import { withByteCounting } from './grpc-codec-bytes.js';
import { WATCH_SERVICE_PREENCODED, watchService } from './watch-service.js';
import { WatchFastPath } from './watch-fast-path.js';
import { LeaseKeepAliveFastPath } from './lease-keepalive-fast-path.js';
import { serveGatewayWatch } from './gateway-watch.js';
import { serveGatewaySnapshot } from './snapshot-service.js';
import { leaseGatewayRoutes, leaseService } from './lease-service.js';
import { clusterGatewayRoutes } from './cluster-service.js';
import { lockGatewayRoutes, lockService } from './lock-service.js';
import { electionGatewayRoutes, electionService } from './election-service.js';
import { clientConnectionRouter } from './shared-port-listener.js';
import type { BoundPort } from './bound-port.js';
import { checkHealth, parseHealthQuery } from './health-check.js';
import { keepIdleConnections } from '../pkg/go-http-server.js';
import { checkedRoute, COMPACTION_SCHEMA, DELETE_RANGE_SCHEMA, PUT_SCHEMA, RANGE_SCHEMA, TXN_SCHEMA } from './gateway-kv-json-checks.js';

/** Room for gRPC framing on top of --max-request-bytes, as etcd allows. */
const GRPC_OVERHEAD_BYTES = 512 * 1024;
const MAX_SEND_BYTES = 2 ** 31 - 1;
/** gRPC's server keepalive defaults, which etcd keeps unless both flags are above zero. */
const DEFAULT_KEEPALIVE_INTERVAL_MS = 2 * 60 * 60 * 1000;
const DEFAULT_KEEPALIVE_TIMEOUT_MS = 20_000;


function gatewayRoutes(server: EtcdServer): Map<string, GatewayRoute> {
  return new Map<string, GatewayRoute>([
    ['/v3/kv/range', checkedRoute(jsonRoute(KVService.range, RangeRequest, RangeResponse, (r, auth) => server.range(r, auth)), RANGE_SCHEMA)],
    ['/v3/kv/put', checkedRoute(jsonRoute(KVService.put, PutRequest, PutResponse, (r, auth) => server.put(r, auth)), PUT_SCHEMA)],
    ['/v3/kv/deleterange', checkedRoute(jsonRoute(KVService.deleteRange, DeleteRangeRequest, DeleteRangeResponse, (r, auth) => server.deleteRange(r, auth)), DELETE_RANGE_SCHEMA)],
    ['/v3/kv/txn', checkedRoute(jsonRoute(KVService.txn, TxnRequest, TxnResponse, (r, auth) => server.txn(r, auth)), TXN_SCHEMA)],
    ['/v3/kv/compaction', checkedRoute(jsonRoute(KVService.compact, CompactionRequest, CompactionResponse, (r, auth) => server.compact(r, auth)), COMPACTION_SCHEMA)],
    ...authGatewayRoutes(server.authApi),
    ...leaseGatewayRoutes(server),
    ...clusterGatewayRoutes(server),
    ...maintenanceGatewayRoutes(server),
    ...lockGatewayRoutes(server),
    ...electionGatewayRoutes(server),
  ]);
}

export interface ClientListenerOptions {
  maxRequestBytes: number;
  /** --cors: allowed origins, "*" for any; absent means etcd's default "*". */
  cors?: readonly string[];
  /** --host-whitelist: hosts plaintext HTTP requests may name, "*" for any; absent means "*". */
  hostWhitelist?: readonly string[];
  /** Told each host --host-whitelist refused. */
  onRefusedHost?(host: string): void;
  /**
   * --max-concurrent-streams: the SETTINGS_MAX_CONCURRENT_STREAMS each HTTP/2 client
   * connection is told; absent means HTTP/2's own "no limit" (etcd's default, 2^32-1).
   */
  maxConcurrentStreams?: number;
  /**
   * --grpc-keepalive-interval / --grpc-keepalive-timeout: how long a client connection may
   * be quiet before the member pings it, and how long the ping may go unanswered before
   * the connection is closed. Absent: etcd's defaults (2h, 20s).
   */
  keepAlive?: { intervalMs: number; timeoutMs: number };
  /** --metrics=extensive: also export grpc_server_handling_seconds. */
  extensiveMetrics?: boolean;
  /** --enable-grpc-gateway (default true): false leaves /v3/ unserved over HTTP. */
  enableGateway?: boolean;
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
  private readonly ports: BoundPort[] = [];
  private metricsHttp: http.Server | undefined;
  /** The calls served without grpc-js (all three, or none: ETCD_TS_UNARY_FAST_PATH=0). */
  private readonly fastPaths: { unary: UnaryFastPath; watch: WatchFastPath; keepAlive: LeaseKeepAliveFastPath } | undefined;

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
      'grpc.keepalive_time_ms': opts.keepAlive?.intervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS,
      'grpc.keepalive_timeout_ms': opts.keepAlive?.timeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS,
      ...(opts.maxConcurrentStreams !== undefined ? { 'grpc.max_concurrent_streams': opts.maxConcurrentStreams } : {}),
      interceptors: [grpcMetricsInterceptor, learnerGate(() => server.isLearner())],
    });
    if (opts.extensiveMetrics === true) enableHandlingTimeHistogram();
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
      [WATCH_SERVICE_PREENCODED, watchService(server)],
      [LockService, lockService(server)],
      [ElectionService, electionService(server)],
    ];
    if (opts.unaryFastPath ?? process.env['ETCD_TS_UNARY_FAST_PATH'] !== '0') {
      this.fastPaths = {
        unary: new UnaryFastPath({ maxReceiveBytes: opts.maxRequestBytes + GRPC_OVERHEAD_BYTES, maxSendBytes: MAX_SEND_BYTES, isLearner: () => server.isLearner() }),
        watch: new WatchFastPath({
          maxReceiveBytes: opts.maxRequestBytes + GRPC_OVERHEAD_BYTES,
          maxSendBytes: MAX_SEND_BYTES,
          isLearner: () => server.isLearner(),
          host: () => server.watchHost(),
        }),
        keepAlive: new LeaseKeepAliveFastPath({
          maxReceiveBytes: opts.maxRequestBytes + GRPC_OVERHEAD_BYTES,
          maxSendBytes: MAX_SEND_BYTES,
          isLearner: () => server.isLearner(),
          host: server,
        }),
      };
    }
    for (const [def, impl] of services) {
      this.grpc.addService(withByteCounting(def), impl);
      this.fastPaths?.unary.addService(def, impl);
    }
    const gateway = opts.enableGateway ?? true;
    this.httpHandler = createHttpHandler({
      ...this.httpBasics(),
      hosts: hostPolicy(opts.hostWhitelist ?? ['*']),
      ...(opts.onRefusedHost ? { onRefusedHost: opts.onRefusedHost } : {}),
      gateway,
      ...(gateway
        ? { routes: gatewayRoutes(server), watch: (req, res) => serveGatewayWatch(server, req, res), snapshot: (req, res) => serveGatewaySnapshot(server, req, res) }
        : { routes: new Map() }),
    });
    this.http1 = keepIdleConnections(http.createServer(this.httpHandler));
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

  /**
   * Starts serving the --listen-client-urls ports (bound at start-up; `secure` for
   * https:// ones) and the --listen-metrics-urls ports (plain HTTP with /metrics and
   * /health only, no gateway).
   */
  serve(client: { port: BoundPort; secure: boolean }[], metrics: BoundPort[]): void {
    const injector = this.grpc.createConnectionInjector(ServerCredentials.createInsecure());
    const paths = this.fastPaths;
    serveNonGrpcStreams(
      this.grpc,
      this.httpHandler,
      paths === undefined ? undefined : (stream, headers) => paths.unary.tryServe(stream, headers) || paths.watch.tryServe(stream, headers) || paths.keepAlive.tryServe(stream, headers),
    );
    // The HTTP/2 front end serves the fast paths' calls itself unless a stream limit is set: node's
    // session enforces --max-concurrent-streams, and it would not see the streams we serve.
    // ETCD_TS_H2_FRONT=0 leaves every stream to node, so tests and benchmarks can compare.
    const front =
      paths !== undefined && this.opts.maxConcurrentStreams === undefined && process.env['ETCD_TS_H2_FRONT'] !== '0'
        ? frontEndCalls(paths.unary, [paths.watch, paths.keepAlive])
        : undefined;
    const targets = { grpc: injector, http1: this.http1, ...(front ? { front } : {}) };
    for (const c of client) {
      c.port.serve(clientConnectionRouter(targets, c.secure));
      this.ports.push(c.port);
    }
    const { health, metrics: scrape } = this.httpBasics();
    const metricsHttp = keepIdleConnections(http.createServer(createHttpHandler({ health, metrics: scrape, routes: new Map() })));
    this.metricsHttp = metricsHttp;
    for (const m of metrics) {
      m.serve((socket) => {
        metricsHttp.emit('connection', socket);
        socket.resume();
      });
      this.ports.push(m);
    }
  }

  async close(): Promise<void> {
    this.metricsHttp?.closeAllConnections();
    this.metricsHttp?.close();
    for (const p of this.ports) p.close();
    this.grpc.forceShutdown();
    this.http1.closeAllConnections();
    this.http1.close();
  }
}
