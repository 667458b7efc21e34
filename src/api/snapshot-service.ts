// Maintenance.Snapshot over gRPC (a server stream) and over the JSON gateway
// (POST /v3/maintenance/snapshot, one `{"result":...}` line per piece). As etcd 3.4 and
// 3.5 send them, the pieces carry no response header: only remaining_bytes and blob.

import http from 'node:http';
import type { ServerWritableStream } from '@grpc/grpc-js';
import { MaintenanceService, SnapshotResponse, type SnapshotRequest } from '../gen/etcdserverpb/rpc.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { snapshotPieces, type SnapshotPiece } from '../server/backend-snapshot.js';
import { EtcdError, GrpcCode } from '../server/errors.js';
import { toServiceError } from './grpc-errors.js';
import { requestAuth, httpRequestAuth } from './request-auth.js';
import { httpStatusFor } from './http-gateway.js';
import { GatewayGrpcCall } from './gateway-grpc-call.js';

function toResponse(p: SnapshotPiece): SnapshotResponse {
  return SnapshotResponse.fromPartial({ remainingBytes: BigInt(p.remainingBytes), blob: p.blob });
}

/** Resolves when `w` may take more (its buffer drained) or has gone away. */
interface Drainable {
  readonly writableNeedDrain: boolean;
  readonly destroyed: boolean;
  on(event: 'drain' | 'close', fn: () => void): unknown;
  removeListener(event: 'drain' | 'close', fn: () => void): unknown;
}

function roomIn(w: Drainable): Promise<void> {
  if (!w.writableNeedDrain || w.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      w.removeListener('drain', done);
      w.removeListener('close', done);
      resolve();
    };
    w.on('drain', done);
    w.on('close', done);
  });
}

export function snapshotHandler(server: EtcdServer): (call: ServerWritableStream<SnapshotRequest, SnapshotResponse>) => void {
  return (call) => {
    void (async () => {
      let gone = false;
      // A client that goes away mid-stream may never drain its buffer: stop waiting then,
      // so the copy (and its temporary file) is released.
      const cancelled = new Promise<void>((resolve) =>
        call.on('cancelled', () => {
          gone = true;
          resolve();
        }),
      );
      try {
        await server.authGate.checkMaintenance(requestAuth(call.metadata));
        for await (const piece of snapshotPieces(await server.backendCopy())) {
          if (gone) return;
          call.write(toResponse(piece));
          await Promise.race([roomIn(call), cancelled]);
        }
        call.end();
      } catch (err) {
        if (!gone) call.emit('error', toServiceError(err));
      }
    })();
  };
}

export function serveGatewaySnapshot(server: EtcdServer, req: http.IncomingMessage, res: http.ServerResponse): void {
  // The request message is empty; its body is read only to let the connection go on.
  req.resume();
  req.on('end', () => {
    void (async () => {
      let started = false;
      // Counted as the gRPC stream etcd's gateway opens for it (gateway-grpc-call.ts); its request is empty.
      const call = new GatewayGrpcCall(MaintenanceService.snapshot);
      call.received({});
      try {
        await server.authGate.checkMaintenance(httpRequestAuth(req));
        for await (const piece of snapshotPieces(await server.backendCopy())) {
          if (res.destroyed) {
            call.finish(GrpcCode.Canceled);
            return;
          }
          if (!started) {
            res.writeHead(200, { 'Content-Type': 'application/json', 'Grpc-Metadata-Content-Type': 'application/grpc', 'Transfer-Encoding': 'chunked' });
            started = true;
          }
          const response = toResponse(piece);
          call.sent(response);
          res.write(`${JSON.stringify({ result: SnapshotResponse.toJSON(response) })}\n`);
          await roomIn(res);
        }
        call.finish(GrpcCode.OK);
        res.end();
      } catch (err) {
        // grpc-gateway's error object for a server stream, with the HTTP status of the
        // code when nothing was sent yet.
        const code = err instanceof EtcdError ? err.code : GrpcCode.Unknown;
        call.finish(code);
        const message = err instanceof Error ? err.message : String(err);
        const httpCode = httpStatusFor(code);
        const body = JSON.stringify({ error: { grpc_code: code, http_code: httpCode, message, http_status: http.STATUS_CODES[httpCode] ?? '' } });
        if (!started) {
          res.writeHead(httpCode, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
          res.end(body);
        } else res.end(`${body}\n`);
      }
    })();
  });
}
