// etcd's auth errors, with the message text and gRPC code clients see (clientv3's
// rpctypes match on the text, e.g. to re-authenticate on `invalid auth token`).

import { EtcdError, GrpcCode } from '../server/errors.js';
export { EtcdError };

const e = (code: (typeof GrpcCode)[keyof typeof GrpcCode], message: string) => new EtcdError(code, message);

export const AuthErrors = {
  RootUserNotExist: e(GrpcCode.FailedPrecondition, 'etcdserver: root user does not exist'),
  RootRoleNotExist: e(GrpcCode.FailedPrecondition, 'etcdserver: root user does not have root role'),
  UserAlreadyExist: e(GrpcCode.FailedPrecondition, 'etcdserver: user name already exists'),
  UserEmpty: e(GrpcCode.InvalidArgument, 'etcdserver: user name is empty'),
  UserNotFound: e(GrpcCode.FailedPrecondition, 'etcdserver: user name not found'),
  RoleAlreadyExist: e(GrpcCode.FailedPrecondition, 'etcdserver: role name already exists'),
  RoleNotFound: e(GrpcCode.FailedPrecondition, 'etcdserver: role name not found'),
  RoleEmpty: e(GrpcCode.InvalidArgument, 'etcdserver: role name is empty'),
  AuthFailed: e(GrpcCode.InvalidArgument, 'etcdserver: authentication failed, invalid user ID or password'),
  PermissionDenied: e(GrpcCode.PermissionDenied, 'etcdserver: permission denied'),
  RoleNotGranted: e(GrpcCode.FailedPrecondition, 'etcdserver: role is not granted to the user'),
  PermissionNotGranted: e(GrpcCode.FailedPrecondition, 'etcdserver: permission is not granted to the role'),
  AuthNotEnabled: e(GrpcCode.FailedPrecondition, 'etcdserver: authentication is not enabled'),
  InvalidAuthToken: e(GrpcCode.Unauthenticated, 'etcdserver: invalid auth token'),
  InvalidAuthMgmt: e(GrpcCode.InvalidArgument, 'etcdserver: invalid auth management'),
  // etcd returns this one unmapped, so clients see gRPC's UNKNOWN and the auth package's text.
  NoPasswordUser: e(GrpcCode.Unknown, 'auth: authentication failed, password was given for no password user'),
  AuthOldRevision: e(GrpcCode.InvalidArgument, 'etcdserver: revision of auth store is old'),
} as const;

/**
 * etcd's maintenance service passes auth errors on without mapping them to gRPC ones, so
 * clients see code UNKNOWN and the auth package's own wording ("auth: permission denied").
 */
export function unmappedAuthError(err: EtcdError): EtcdError {
  return new EtcdError(GrpcCode.Unknown, err.message.replace(/^etcdserver: /, 'auth: '));
}
