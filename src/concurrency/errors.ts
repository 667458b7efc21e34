// The concurrency recipes' errors, spelled as etcd's clientv3/concurrency and v3election
// spell them. The lock and election services answer every failure with gRPC's UNKNOWN
// code (etcd runs the recipes through an in-process client, so even a server error such
// as a missing lease reaches the caller as a plain error with the same text).

import { EtcdError, GrpcCode } from '../server/errors.js';

export const ConcurrencyErrors = {
  NotLeader: new EtcdError(GrpcCode.Unknown, 'election: not leader'),
  NoLeader: new EtcdError(GrpcCode.Unknown, 'election: no leader'),
  MissingLeaderKey: new EtcdError(GrpcCode.Unknown, '"leader" field must be provided'),
  LostWatcher: new EtcdError(GrpcCode.Unknown, 'lost watcher waiting for delete'),
  Canceled: new EtcdError(GrpcCode.Canceled, 'context canceled'),
};

/** Any failure of a recipe as the lock/election services report it: same text, code UNKNOWN. */
export function asUnknown(err: unknown): EtcdError {
  if (err instanceof EtcdError) return err.code === GrpcCode.Unknown || err.code === GrpcCode.Canceled ? err : new EtcdError(GrpcCode.Unknown, err.message);
  return new EtcdError(GrpcCode.Unknown, err instanceof Error ? err.message : String(err));
}
