// A learner serves only what cannot disturb the cluster or return stale data as if it
// were current: Status, serializable Range and Snapshot. Everything else is refused
// with etcd's "rpc not supported for learner", as etcd's gRPC interceptors do.

import { Metadata, ServerInterceptingCall, type ServerInterceptingCallInterface, type ServerMethodDefinition } from '@grpc/grpc-js';
import { Errors } from '../server/errors.js';

const ALWAYS_SERVED = new Set(['/etcdserverpb.Maintenance/Status', '/etcdserverpb.Maintenance/Snapshot']);
const RANGE = '/etcdserverpb.KV/Range';

export function servedToLearner(path: string, message: unknown): boolean {
  if (ALWAYS_SERVED.has(path)) return true;
  return path === RANGE && (message as { serializable?: boolean } | null)?.serializable === true;
}

export function learnerGate(isLearner: () => boolean) {
  return (method: ServerMethodDefinition<unknown, unknown>, call: ServerInterceptingCallInterface): ServerInterceptingCall => {
    // A voter never becomes a learner again, so a call that starts on a voter needs no
    // gate: handing the call on unwrapped saves a layer of callbacks per message.
    if (!isLearner()) return call as ServerInterceptingCall;
    let refused = false;
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMessage: (message, nextMessage) => {
            if (refused) return;
            if (isLearner() && !servedToLearner(method.path, message)) {
              refused = true;
              call.sendStatus({ code: Errors.NotSupportedForLearner.code, details: Errors.NotSupportedForLearner.message, metadata: new Metadata() });
              return;
            }
            nextMessage(message);
          },
        }),
    });
  };
}
