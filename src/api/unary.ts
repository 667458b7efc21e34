// Adapts an async request handler to grpc-js's callback-style unary handler, mapping
// thrown errors to gRPC statuses. One place, so every service reports errors alike.

import { status as GrpcStatus, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { toServiceError } from './grpc-errors.js';

export function unary<Req, Res>(fn: (req: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res> | Res) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    let result: Promise<Res>;
    try {
      result = Promise.resolve(fn(call.request, call));
    } catch (err) {
      callback(toServiceError(err), null);
      return;
    }
    result.then(
      (res) => callback(null, res),
      (err: unknown) => callback(toServiceError(err), null),
    );
  };
}

/** A unary handler for an rpc that this member does not serve yet: gRPC's UNIMPLEMENTED. */
export function unimplemented<Req, Res>(): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => callback({ code: GrpcStatus.UNIMPLEMENTED, details: `unknown method ${call.getPath()}` }, null);
}
