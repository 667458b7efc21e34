// etcd's server errors as clients see them: the exact message text and the gRPC status
// code the API layer answers with. Both are part of etcd's interface (clients match on
// the message, e.g. clientv3's rpctypes), so they are spelled here once and reused.

import { GrpcCode, type GrpcCodeValue } from '../pkg/grpc-codes.js';

export { GrpcCode, type GrpcCodeValue };

/** An error that reaches the client with `message` as the gRPC status details and `code` as its status. */
export class EtcdError extends Error {
  constructor(
    readonly code: GrpcCodeValue,
    message: string,
  ) {
    super(message);
    this.name = 'EtcdError';
  }
}

function e(code: GrpcCodeValue, message: string): EtcdError {
  return new EtcdError(code, message);
}

// Each constant is a shared instance: errors carry no per-request state, and identity
// comparison (`err === Errors.EmptyKey`) is convenient in tests and retry logic.
export const Errors = {
  EmptyKey: e(GrpcCode.InvalidArgument, 'etcdserver: key is not provided'),
  KeyNotFound: e(GrpcCode.InvalidArgument, 'etcdserver: key not found'),
  ValueProvided: e(GrpcCode.InvalidArgument, 'etcdserver: value is provided'),
  LeaseProvided: e(GrpcCode.InvalidArgument, 'etcdserver: lease is provided'),
  TooManyOps: e(GrpcCode.InvalidArgument, 'etcdserver: too many operations in txn request'),
  DuplicateKey: e(GrpcCode.InvalidArgument, 'etcdserver: duplicate key given in txn request'),
  Compacted: e(GrpcCode.OutOfRange, 'etcdserver: mvcc: required revision has been compacted'),
  FutureRev: e(GrpcCode.OutOfRange, 'etcdserver: mvcc: required revision is a future revision'),
  NoSpace: e(GrpcCode.ResourceExhausted, 'etcdserver: mvcc: database space exceeded'),

  LeaseNotFound: e(GrpcCode.NotFound, 'etcdserver: requested lease not found'),
  LeaseExist: e(GrpcCode.FailedPrecondition, 'etcdserver: lease already exists'),
  LeaseTTLTooLarge: e(GrpcCode.OutOfRange, 'etcdserver: too large lease TTL'),

  MemberExist: e(GrpcCode.FailedPrecondition, 'etcdserver: member ID already exist'),
  PeerURLExist: e(GrpcCode.FailedPrecondition, 'etcdserver: Peer URLs already exists'),
  MemberNotEnoughStarted: e(
    GrpcCode.FailedPrecondition,
    'etcdserver: re-configuration failed due to not enough started members',
  ),
  MemberBadURLs: e(GrpcCode.InvalidArgument, 'etcdserver: given member URLs are invalid'),
  MemberNotFound: e(GrpcCode.NotFound, 'etcdserver: member not found'),
  MemberNotLearner: e(GrpcCode.FailedPrecondition, 'etcdserver: can only promote a learner member'),
  LearnerNotReady: e(
    GrpcCode.FailedPrecondition,
    'etcdserver: can only promote a learner member which is in sync with leader',
  ),
  TooManyLearners: e(GrpcCode.FailedPrecondition, 'etcdserver: too many learner members in cluster'),

  RequestTooLarge: e(GrpcCode.InvalidArgument, 'etcdserver: request is too large'),
  TooManyRequests: e(GrpcCode.ResourceExhausted, 'etcdserver: too many requests'),

  NoLeader: e(GrpcCode.Unavailable, 'etcdserver: no leader'),
  NotLeader: e(GrpcCode.FailedPrecondition, 'etcdserver: not leader'),
  LeaderChanged: e(GrpcCode.Unavailable, 'etcdserver: leader changed'),
  NotCapable: e(GrpcCode.Unavailable, 'etcdserver: not capable'),
  Stopped: e(GrpcCode.Unavailable, 'etcdserver: server stopped'),
  Timeout: e(GrpcCode.Unavailable, 'etcdserver: request timed out'),
  TimeoutDueToLeaderFail: e(
    GrpcCode.Unavailable,
    'etcdserver: request timed out, possibly due to previous leader failure',
  ),
  TimeoutDueToConnectionLost: e(
    GrpcCode.Unavailable,
    'etcdserver: request timed out, possibly due to connection lost',
  ),
  Unhealthy: e(GrpcCode.Unavailable, 'etcdserver: unhealthy cluster'),
  Corrupt: e(GrpcCode.DataLoss, 'etcdserver: corrupt cluster'),
  NotSupportedForLearner: e(GrpcCode.Unavailable, 'etcdserver: rpc not supported for learner'),
  BadLeaderTransferee: e(GrpcCode.FailedPrecondition, 'etcdserver: bad leader transferee'),
  TimeoutLeaderTransfer: e(GrpcCode.DeadlineExceeded, 'etcdserver: request timed out, leader transfer took too long'),
} as const;
