// v3electionpb.Election over gRPC and the JSON gateway (/v3/election/*). Observe streams
// one LeaderResponse per leader value until the caller goes away; through the gateway
// each is a `{"result":...}` line, as grpc-gateway streams server-streaming calls.

import { GatewayGrpcCall } from './gateway-grpc-call.js';
import type http from 'node:http';
import type { ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import {
  CampaignRequest,
  CampaignResponse,
  ElectionService,
  LeaderRequest,
  LeaderResponse,
  ProclaimRequest,
  ProclaimResponse,
  ResignRequest,
  ResignResponse,
  type ElectionServer,
} from '../gen/v3electionpb/v3election.js';
import { campaign, leader, observe, proclaim, resign } from '../concurrency/election-api.js';
import { serverKv } from '../concurrency/server-kv.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { EtcdError, GrpcCode } from '../server/errors.js';
import { toServiceError } from './grpc-errors.js';
import { parseJson, readBody, withProtoNames, writeGatewayError, type GatewayRoute } from './http-gateway.js';
import { callSignal, cancelableRoute } from './lock-service.js';
import { httpRequestAuth, requestAuth } from './request-auth.js';
import { unary } from './unary.js';

function kvFor(server: EtcdServer, call: { metadata: ServerUnaryCall<unknown, unknown>['metadata'] }) {
  return serverKv(server, requestAuth(call.metadata));
}

export function electionService(server: EtcdServer): ElectionServer {
  return {
    campaign: unary((r: CampaignRequest, call: ServerUnaryCall<CampaignRequest, CampaignResponse>) => campaign(kvFor(server, call), r, callSignal(call))),
    proclaim: unary((r: ProclaimRequest, call: ServerUnaryCall<ProclaimRequest, ProclaimResponse>) => proclaim(kvFor(server, call), r)),
    leader: unary((r: LeaderRequest, call: ServerUnaryCall<LeaderRequest, LeaderResponse>) => leader(kvFor(server, call), r)),
    resign: unary((r: ResignRequest, call: ServerUnaryCall<ResignRequest, ResignResponse>) => resign(kvFor(server, call), r)),
    observe: (call: ServerWritableStream<LeaderRequest, LeaderResponse>) => {
      const signal = callSignal(call);
      void (async () => {
        try {
          for await (const v of observe(kvFor(server, call), call.request, signal)) call.write(v);
          if (!signal.aborted) call.end();
        } catch (err) {
          if (!signal.aborted) call.emit('error', toServiceError(err));
        }
      })();
    },
  };
}

function serveGatewayObserve(server: EtcdServer, req: http.IncomingMessage, res: http.ServerResponse): void {
  const hangUp = new AbortController();
  res.on('close', () => hangUp.abort());
  void (async () => {
    let r: LeaderRequest;
    try {
      r = LeaderRequest.fromJSON(withProtoNames(parseJson(await readBody(req))));
    } catch (err) {
      if (err instanceof EtcdError) writeGatewayError(res, err.code, err.message);
      else writeGatewayError(res, GrpcCode.InvalidArgument, err instanceof Error ? err.message : String(err));
      return;
    }
    // grpc-gateway answers with the first message: while nobody leads, not even headers go out.
    const send = (line: unknown) => {
      if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'application/json', 'Grpc-Metadata-Content-Type': 'application/grpc', 'Transfer-Encoding': 'chunked' });
      res.write(`${JSON.stringify(line)}\n`);
    };
    // Counted as the gRPC stream etcd's gateway opens for it (gateway-grpc-call.ts). When the
    // caller goes away, etcd's Observe returns the context's plain error, which gRPC reports
    // as Unknown (not Canceled).
    const call = new GatewayGrpcCall(ElectionService.observe);
    call.received(r);
    try {
      for await (const v of observe(serverKv(server, httpRequestAuth(req)), r, hangUp.signal)) {
        call.sent(v);
        send({ result: LeaderResponse.toJSON(v) });
      }
      call.finish(hangUp.signal.aborted ? GrpcCode.Unknown : GrpcCode.OK);
    } catch (err) {
      // grpc-gateway's in-stream error object.
      const code = err instanceof EtcdError ? err.code : GrpcCode.Unknown;
      call.finish(hangUp.signal.aborted ? GrpcCode.Unknown : code);
      if (!hangUp.signal.aborted) send({ error: { grpc_code: code, message: err instanceof Error ? err.message : String(err) } });
    }
    res.end();
  })();
}

export function electionGatewayRoutes(server: EtcdServer): [string, GatewayRoute][] {
  return [
    ['/v3/election/campaign', cancelableRoute(ElectionService.campaign, CampaignRequest, CampaignResponse, (r, kv, signal) => campaign(kv, r, signal), server)],
    ['/v3/election/proclaim', cancelableRoute(ElectionService.proclaim, ProclaimRequest, ProclaimResponse, (r, kv) => proclaim(kv, r), server)],
    ['/v3/election/leader', cancelableRoute(ElectionService.leader, LeaderRequest, LeaderResponse, (r, kv) => leader(kv, r), server)],
    ['/v3/election/resign', cancelableRoute(ElectionService.resign, ResignRequest, ResignResponse, (r, kv) => resign(kv, r), server)],
    [
      '/v3/election/observe',
      {
        method: ElectionService.observe,
        decode: (json) => json,
        encode: (resp) => resp,
        handle: () => Promise.reject(new EtcdError(GrpcCode.Internal, 'observe is served as a stream')),
        serve: (req, res) => serveGatewayObserve(server, req, res),
      },
    ],
  ];
}
