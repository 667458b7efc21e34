// The JSON gateway's /v3/auth/* routes (etcd's google.api.http paths in rpc.proto).

import * as pb from '../gen/etcdserverpb/rpc.js';
import type { AuthApi } from '../server/auth-api.js';
import { jsonRoute as route, type GatewayRoute } from './http-gateway.js';

export function authGatewayRoutes(a: AuthApi): [string, GatewayRoute][] {
  return [
    ['/v3/auth/enable', route(pb.AuthService.authEnable, pb.AuthEnableRequest, pb.AuthEnableResponse, (r, x) => a.authEnable(r, x))],
    ['/v3/auth/disable', route(pb.AuthService.authDisable, pb.AuthDisableRequest, pb.AuthDisableResponse, (r, x) => a.authDisable(r, x))],
    ['/v3/auth/status', route(pb.AuthService.authStatus, pb.AuthStatusRequest, pb.AuthStatusResponse, (r, x) => a.authStatus(r, x))],
    ['/v3/auth/authenticate', route(pb.AuthService.authenticate, pb.AuthenticateRequest, pb.AuthenticateResponse, (r) => a.authenticate(r))],
    ['/v3/auth/user/add', route(pb.AuthService.userAdd, pb.AuthUserAddRequest, pb.AuthUserAddResponse, (r, x) => a.userAdd(r, x))],
    ['/v3/auth/user/get', route(pb.AuthService.userGet, pb.AuthUserGetRequest, pb.AuthUserGetResponse, (r, x) => a.userGet(r, x))],
    ['/v3/auth/user/list', route(pb.AuthService.userList, pb.AuthUserListRequest, pb.AuthUserListResponse, (r, x) => a.userList(r, x))],
    ['/v3/auth/user/delete', route(pb.AuthService.userDelete, pb.AuthUserDeleteRequest, pb.AuthUserDeleteResponse, (r, x) => a.userDelete(r, x))],
    ['/v3/auth/user/changepw', route(pb.AuthService.userChangePassword, pb.AuthUserChangePasswordRequest, pb.AuthUserChangePasswordResponse, (r, x) => a.userChangePassword(r, x))],
    ['/v3/auth/user/grant', route(pb.AuthService.userGrantRole, pb.AuthUserGrantRoleRequest, pb.AuthUserGrantRoleResponse, (r, x) => a.userGrantRole(r, x))],
    ['/v3/auth/user/revoke', route(pb.AuthService.userRevokeRole, pb.AuthUserRevokeRoleRequest, pb.AuthUserRevokeRoleResponse, (r, x) => a.userRevokeRole(r, x))],
    ['/v3/auth/role/add', route(pb.AuthService.roleAdd, pb.AuthRoleAddRequest, pb.AuthRoleAddResponse, (r, x) => a.roleAdd(r, x))],
    ['/v3/auth/role/get', route(pb.AuthService.roleGet, pb.AuthRoleGetRequest, pb.AuthRoleGetResponse, (r, x) => a.roleGet(r, x))],
    ['/v3/auth/role/list', route(pb.AuthService.roleList, pb.AuthRoleListRequest, pb.AuthRoleListResponse, (r, x) => a.roleList(r, x))],
    ['/v3/auth/role/delete', route(pb.AuthService.roleDelete, pb.AuthRoleDeleteRequest, pb.AuthRoleDeleteResponse, (r, x) => a.roleDelete(r, x))],
    ['/v3/auth/role/grant', route(pb.AuthService.roleGrantPermission, pb.AuthRoleGrantPermissionRequest, pb.AuthRoleGrantPermissionResponse, (r, x) => a.roleGrantPermission(r, x))],
    ['/v3/auth/role/revoke', route(pb.AuthService.roleRevokePermission, pb.AuthRoleRevokePermissionRequest, pb.AuthRoleRevokePermissionResponse, (r, x) => a.roleRevokePermission(r, x))],
  ];
}
