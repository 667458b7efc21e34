// etcdserverpb.Auth over gRPC: a thin shell around the member's AuthApi.

import type { AuthServer } from '../gen/etcdserverpb/rpc.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { requestAuth } from './request-auth.js';
import { unary } from './unary.js';

export function authService(server: EtcdServer): AuthServer {
  const a = server.authApi;
  return {
    authEnable: unary((r, call) => a.authEnable(r, requestAuth(call.metadata))),
    authDisable: unary((r, call) => a.authDisable(r, requestAuth(call.metadata))),
    authStatus: unary((r, call) => a.authStatus(r, requestAuth(call.metadata))),
    authenticate: unary((r) => a.authenticate(r)),
    userAdd: unary((r, call) => a.userAdd(r, requestAuth(call.metadata))),
    userGet: unary((r, call) => a.userGet(r, requestAuth(call.metadata))),
    userList: unary((r, call) => a.userList(r, requestAuth(call.metadata))),
    userDelete: unary((r, call) => a.userDelete(r, requestAuth(call.metadata))),
    userChangePassword: unary((r, call) => a.userChangePassword(r, requestAuth(call.metadata))),
    userGrantRole: unary((r, call) => a.userGrantRole(r, requestAuth(call.metadata))),
    userRevokeRole: unary((r, call) => a.userRevokeRole(r, requestAuth(call.metadata))),
    roleAdd: unary((r, call) => a.roleAdd(r, requestAuth(call.metadata))),
    roleGet: unary((r, call) => a.roleGet(r, requestAuth(call.metadata))),
    roleList: unary((r, call) => a.roleList(r, requestAuth(call.metadata))),
    roleDelete: unary((r, call) => a.roleDelete(r, requestAuth(call.metadata))),
    roleGrantPermission: unary((r, call) => a.roleGrantPermission(r, requestAuth(call.metadata))),
    roleRevokePermission: unary((r, call) => a.roleRevokePermission(r, requestAuth(call.metadata))),
  };
}
