// A streaming rpc through the JSON gateway, as grpc-gateway serves LeaseKeepAlive: the
// request body is a sequence of JSON messages ({"ID":1}{"ID":2}), each answered in
// order by one `{"result":<response>}` line; an empty body gets an empty answer.

import type { RequestAuth } from '../server/auth-gate.js';
import type http from 'node:http';
import { EtcdError, GrpcCode } from '../server/errors.js';
import type { GatewayGrpcCall } from './gateway-grpc-call.js';
import type { GatewayRoute } from './http-gateway.js';
import { withProtoNames } from './http-gateway.js';

/** Messages per streamed request body; the body size is bounded by the gateway already. */
export const MAX_STREAM_MESSAGES = 10_000;

/** Splits concatenated JSON values; a value that does not parse ends the sequence. */
export function splitJsonValues(text: string): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  while (i < text.length && out.length < MAX_STREAM_MESSAGES) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    let depth = 0;
    let inString = false;
    let j = i;
    for (; j < text.length; j++) {
      const c = text[j]!;
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) break;
      }
    }
    try {
      out.push(JSON.parse(text.slice(i, j + 1)) as unknown);
    } catch {
      break;
    }
    i = j + 1;
  }
  return out;
}

/** `call` counts the stream as etcd's gateway's gRPC stream (even an empty body opens one, ended OK). */
export async function serveGatewayStream(route: GatewayRoute, body: Buffer, res: http.ServerResponse, auth: RequestAuth, call: GatewayGrpcCall): Promise<void> {
  const messages = splitJsonValues(body.toString('utf8'));
  if (messages.length === 0) {
    call.finish(GrpcCode.OK);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'Grpc-Metadata-Content-Type': 'application/grpc', 'Transfer-Encoding': 'chunked' });
  let status: number = GrpcCode.OK;
  for (const m of messages) {
    try {
      const req = route.decode(withProtoNames(m));
      call.received(req);
      const resp = await route.handle(req, auth);
      call.sent(resp);
      res.write(`${JSON.stringify({ result: route.encode(resp) })}\n`);
    } catch (err) {
      // grpc-gateway's in-stream error object.
      const code = err instanceof EtcdError ? err.code : 2;
      const message = err instanceof Error ? err.message : String(err);
      res.write(`${JSON.stringify({ error: { grpc_code: code, message } })}\n`);
      status = code;
      break;
    }
  }
  call.finish(status);
  res.end();
}
