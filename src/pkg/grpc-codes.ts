// gRPC's status codes as plain numbers, named as Go's codes package names them (the names
// etcdctl prints in "rpc error: code = ..."). The numbers are fixed by the gRPC spec, so
// they are spelled here instead of imported: the server layer stays free of the gRPC
// library, and etcdctl can report a client error without loading gRPC at start-up
// (test/pkg/grpc-codes.test.ts checks them against grpc-js).

export const GrpcCode = {
  OK: 0,
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;
export type GrpcCodeValue = (typeof GrpcCode)[keyof typeof GrpcCode];

/** The codes' Go names, index = code. */
export const GRPC_CODE_NAMES: readonly string[] = Object.entries(GrpcCode)
  .sort((a, b) => a[1] - b[1])
  .map(([name]) => name);
