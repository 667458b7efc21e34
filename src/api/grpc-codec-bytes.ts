// etcd counts gRPC message bytes in its codec: the length of every request it decodes and of
// every response it encodes. grpc-js calls a method's requestDeserialize/responseSerialize
// once per message, so wrapping those two counts the same lengths for the calls grpc-js
// serves. (The fast paths count the bodies and frames they handle themselves.)

import type { ServiceDefinition } from '@grpc/grpc-js';
import { grpcBytes } from '../metrics/registry.js';

/** `def` with each method's codec counting into etcd_network_client_grpc_*_bytes_total. */
export function withByteCounting<D extends ServiceDefinition>(def: D): D {
  const out: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(def)) {
    const deserialize = m.requestDeserialize;
    const serialize = m.responseSerialize;
    out[name] = {
      ...m,
      requestDeserialize: (bytes: Buffer) => {
        grpcBytes.received += bytes.length;
        return deserialize(bytes);
      },
      responseSerialize: (value: unknown) => {
        const bytes = serialize(value as never);
        grpcBytes.sent += bytes.length;
        return bytes;
      },
    };
  }
  return out as D;
}
