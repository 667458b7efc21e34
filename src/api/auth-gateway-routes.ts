// The JSON gateway's /v3/auth/* routes (etcd's google.api.http paths in rpc.proto).

import * as pb from '../gen/etcdserverpb/rpc.js';
import type { AuthApi } from '../server/auth-api.js';
import { jsonRoute as route, type GatewayRoute } from './http-gateway.js';

export function authGatewayRoutes(a: AuthApi): [string, GatewayRoute][] {
  return [
    ['/v3/auth/enable', route(pb.AuthEnableRequest, pb.AuthEnableResponse, (r, x) => a.authEnable(r, x))],
    ['/v3/auth/disable', route(pb.AuthDisableRequest, pb.AuthDisableResponse, (r, x) => a.authDisable(r, x))],
    ['/v3/auth/status', route(pb.AuthStatusRequest, pb.AuthStatusResponse, (r, x) => a.authStatus(r, x))],
    ['/v3/auth/authenticate', route(pb.AuthenticateRequest, pb.AuthenticateResponse, (r) => a.authenticate(r))],
    ['/v3/auth/user/add', route(pb.AuthUserAddRequest, pb.AuthUserAddResponse, (r, x) => a.userAdd(r, x))],
    ['/v3/auth/user/get', route(pb.AuthUserGetRequest, pb.AuthUserGetResponse, (r, x) => a.userGet(r, x))],
    ['/v3/auth/user/list', route(pb.AuthUserListRequest, pb.AuthUserListResponse, (r, x) => a.userList(r, x))],
    ['/v3/auth/user/delete', route(pb.AuthUserDeleteRequest, pb.AuthUserDeleteResponse, (r, x) => a.userDelete(r, x))],
    ['/v3/auth/user/changepw', route(pb.AuthUserChangePasswordRequest, pb.AuthUserChangePasswordResponse, (r, x) => a.userChangePassword(r, x))],
    ['/v3/auth/user/grant', route(pb.AuthUserGrantRoleRequest, pb.AuthUserGrantRoleResponse, (r, x) => a.userGrantRole(r, x))],
    ['/v3/auth/user/revoke', route(pb.AuthUserRevokeRoleRequest, pb.AuthUserRevokeRoleResponse, (r, x) => a.userRevokeRole(r, x))],
    ['/v3/auth/role/add', route(pb.AuthRoleAddRequest, pb.AuthRoleAddResponse, (r, x) => a.roleAdd(r, x))],
    ['/v3/auth/role/get', route(pb.AuthRoleGetRequest, pb.AuthRoleGetResponse, (r, x) => a.roleGet(r, x))],
    ['/v3/auth/role/list', route(pb.AuthRoleListRequest, pb.AuthRoleListResponse, (r, x) => a.roleList(r, x))],
    ['/v3/auth/role/delete', route(pb.AuthRoleDeleteRequest, pb.AuthRoleDeleteResponse, (r, x) => a.roleDelete(r, x))],
    ['/v3/auth/role/grant', route(pb.AuthRoleGrantPermissionRequest, pb.AuthRoleGrantPermissionResponse, (r, x) => a.roleGrantPermission(r, x))],
    ['/v3/auth/role/revoke', route(pb.AuthRoleRevokePermissionRequest, pb.AuthRoleRevokePermissionResponse, (r, x) => a.roleRevokePermission(r, x))],
  ];
}
