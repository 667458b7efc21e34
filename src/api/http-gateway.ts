// The JSON gateway on the client port: POST /v3/<service>/<method> with a JSON body in
// protobuf's JSON mapping (bytes as base64, 64-bit integers as strings, etcd's original
// field names), answered the way etcd's grpc-gateway answers, errors included.

import type http from 'node:http';
import { EtcdError, GrpcCode } from '../server/errors.js';
import type { RequestAuth } from '../server/auth-gate.js';
import { httpRequestAuth } from './request-auth.js';
import { serveGatewayStream } from './gateway-stream.js';
import { decodeFirstJsonValue, GoJsonSyntaxError } from './go-json-decode.js';
import { checkMessage } from './gateway-kv-json-checks.js';
import { GatewayGrpcCall, type GrpcMethod } from './gateway-grpc-call.js';

/** Request bodies beyond this are refused before parsing (the gRPC limit plus overhead). */
export const MAX_GATEWAY_BODY_BYTES = 16 * 1024 * 1024;

export interface GatewayRoute {
  /** The gRPC method etcd's gateway calls for this route: the call is counted as one to it. */
  method: GrpcMethod;
  decode(json: unknown): unknown;
  encode(resp: unknown): unknown;
  /** `auth` carries the `Authorization` header, grpc-gateway's way of passing a token. */
  handle(req: unknown, auth?: RequestAuth, signal?: AbortSignal): Promise<unknown>;
  /** A client-streaming rpc (LeaseKeepAlive): the body is a sequence of JSON messages, see gateway-stream.ts. */
  stream?: boolean;
  /** A server-streaming rpc (election Observe) answers the HTTP exchange itself. */
  serve?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  /** jsonpb's type checks on the body (see gateway-kv-json-checks.ts); throws GatewayJsonError. */
  check?: (json: unknown) => void;
}

/** A generated message type's JSON mapping (ts-proto's fromJSON/toJSON). */
export interface JsonCodec<T> {
  fromJSON(object: unknown): T;
  toJSON(message: T): unknown;
}

/** A unary route to `method`: decode the request with `reqCodec`, run `handle`, encode with `resCodec`. */
export function jsonRoute<Req, Res>(method: GrpcMethod<Req, Res>, reqCodec: JsonCodec<Req>, resCodec: JsonCodec<Res>, handle: (r: Req, auth: RequestAuth) => Promise<Res>): GatewayRoute {
  return {
    method,
    decode: (json) => reqCodec.fromJSON(json),
    encode: (resp) => resCodec.toJSON(resp as Res),
    handle: (req, auth) => handle(req as Req, auth ?? {}),
  };
}

/** grpc-gateway's mapping from gRPC status codes to HTTP statuses. */
const HTTP_STATUS: Record<number, number> = {
  [GrpcCode.OK]: 200,
  [GrpcCode.Canceled]: 408,
  [GrpcCode.Unknown]: 500,
  [GrpcCode.InvalidArgument]: 400,
  [GrpcCode.DeadlineExceeded]: 504,
  [GrpcCode.NotFound]: 404,
  [GrpcCode.AlreadyExists]: 409,
  [GrpcCode.PermissionDenied]: 403,
  [GrpcCode.Unauthenticated]: 401,
  [GrpcCode.ResourceExhausted]: 429,
  [GrpcCode.FailedPrecondition]: 412,
  [GrpcCode.Aborted]: 409,
  [GrpcCode.OutOfRange]: 400,
  [GrpcCode.Unimplemented]: 501,
  [GrpcCode.Internal]: 500,
  [GrpcCode.Unavailable]: 503,
  [GrpcCode.DataLoss]: 500,
};

/** The HTTP status grpc-gateway answers a gRPC status code with. */
export function httpStatusFor(code: number): number {
  return HTTP_STATUS[code] ?? 500;
}

/** Go's net/http declares Content-Length when a finished handler's whole body fit its 2 KiB buffer; larger bodies go chunked. */
export function goContentLength(body: string): Record<string, number> {
  const n = Buffer.byteLength(body);
  return n <= 2048 ? { 'Content-Length': n } : {};
}

export function writeGatewayError(res: http.ServerResponse, code: number, message: string): void {
  const body = JSON.stringify({ error: message, message, code });
  // grpc-gateway declares and sends the gRPC content type as an HTTP trailer on errors.
  res.writeHead(HTTP_STATUS[code] ?? 500, { 'Content-Type': 'application/json', Trailer: 'Grpc-Trailer-Content-Type' });
  res.addTrailers({ 'Grpc-Trailer-Content-Type': 'application/grpc' });
  res.end(body);
}

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_GATEWAY_BODY_BYTES) {
        reject(new EtcdError(GrpcCode.ResourceExhausted, 'grpc: received message larger than max'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * The body's first JSON value as grpc-gateway's decoder reads it (an empty body or null is an
 * empty message; what follows the value is ignored), syntax errors in Go's words.
 */
export function parseJson(body: Buffer): unknown {
  let json: unknown;
  try {
    json = decodeFirstJsonValue(body);
  } catch (e) {
    if (e instanceof GoJsonSyntaxError) throw new EtcdError(GrpcCode.InvalidArgument, e.message);
    throw e;
  }
  return json ?? {};
}

/**
 * grpc-gateway accepts both a field's proto name and its lowerCamelCase JSON name
 * ("range_end" and "rangeEnd"); the generated decoders read proto names, so camelCase
 * keys get their snake_case twin added (recursively) when it is absent.
 */
export function withProtoNames(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(withProtoNames);
  if (json === null || typeof json !== 'object') return json;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json as Record<string, unknown>)) out[k] = withProtoNames(v);
  for (const [k, v] of Object.entries(out)) {
    const snake = k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (snake !== k && !(snake in out)) out[snake] = v;
  }
  return out;
}

export async function serveGatewayRoute(route: GatewayRoute, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (route.serve) return route.serve(req, res);
  if (route.stream) {
    const body = await readBody(req).catch(() => Buffer.alloc(0));
    return serveGatewayStream(route, body, res, httpRequestAuth(req), new GatewayGrpcCall(route.method));
  }
  // A caller that hangs up ends a blocking call (Lock, Campaign) as a canceled gRPC call would.
  const hangUp = new AbortController();
  res.on('close', () => hangUp.abort());
  // Set once the body decoded: from there on, etcd's gateway would have made the gRPC call.
  let call: GatewayGrpcCall | undefined;
  try {
    const json = parseJson(await readBody(req));
    let decoded: unknown;
    try {
      // jsonpb unmarshals a message from a JSON object only.
      checkMessage(json, []);
      route.check?.(withProtoNames(json));
      decoded = route.decode(withProtoNames(json));
    } catch (err) {
      throw new EtcdError(GrpcCode.InvalidArgument, err instanceof Error ? err.message : String(err));
    }
    call = new GatewayGrpcCall(route.method);
    call.received(decoded);
    const resp = await route.handle(decoded, httpRequestAuth(req), hangUp.signal);
    call.sent(resp);
    call.finish(GrpcCode.OK);
    const body = JSON.stringify(route.encode(resp));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Grpc-Metadata-Content-Type': 'application/grpc', ...goContentLength(body) });
    res.end(body);
  } catch (err) {
    const code = err instanceof EtcdError ? err.code : GrpcCode.Unknown;
    // Only the blocking calls (Lock, Campaign) watch for the hang-up; etcd's return the
    // context's plain error then, which gRPC counts as Unknown.
    call?.finish(hangUp.signal.aborted ? GrpcCode.Unknown : code);
    writeGatewayError(res, code, err instanceof Error ? err.message : String(err));
  }
}
