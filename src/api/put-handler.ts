// The gRPC handler of KV.Put. Not unary()'s adapter over the promise of EtcdServer.put:
// putWithCallback answers the callback straight from the apply (see put-waiter.ts), which
// spares every put a chain of promises and microtask turns. Errors reach the client as
// unary() maps them (toServiceError).

import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { PutRequest, PutResponse } from '../gen/etcdserverpb/rpc.js';
import type { EtcdServer } from '../server/etcd-server.js';
import type { RequestAuth } from '../server/auth-gate.js';
import { toServiceError } from './grpc-errors.js';
import { requestAuth } from './request-auth.js';

export function putHandler(server: Pick<EtcdServer, 'putWithCallback'>) {
  return (call: ServerUnaryCall<PutRequest, PutResponse>, callback: sendUnaryData<PutResponse>): void => {
    let auth: RequestAuth;
    try {
      auth = requestAuth(call.metadata);
    } catch (err) {
      callback(toServiceError(err), null);
      return;
    }
    // putWithCallback does not throw: every outcome, refusals too, comes through here once.
    server.putWithCallback(call.request, auth, (err, res) => {
      if (err) callback(toServiceError(err), null);
      else callback(null, res);
    });
  };
}
