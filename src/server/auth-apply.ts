// The auth side of applying an entry: the permission check every request passes at
// apply time (with the user and auth revision the proposer put in its header), and the
// auth management requests themselves. Kept apart from applier.ts, which only calls in.

import type { AuthStore } from '../auth/auth-store.js';
import type { AuthInfo } from '../auth/token-provider.js';
import type {
  AuthDisableResponse,
  AuthEnableResponse,
  AuthenticateResponse,
  AuthRoleAddResponse,
  AuthRoleDeleteResponse,
  AuthRoleGetResponse,
  AuthRoleGrantPermissionResponse,
  AuthRoleListResponse,
  AuthRoleRevokePermissionResponse,
  AuthStatusResponse,
  AuthUserAddResponse,
  AuthUserChangePasswordResponse,
  AuthUserDeleteResponse,
  AuthUserGetResponse,
  AuthUserGrantRoleResponse,
  AuthUserListResponse,
  AuthUserRevokeRoleResponse,
} from '../gen/etcdserverpb/rpc.js';
import type { InternalRaftRequest } from '../gen/etcdserverpb/raft_internal.js';
import { checkDeleteAuth, checkPutAuth, checkRangeAuth, checkTxnAuth } from './auth-checks.js';
import { revisionHeader } from './kv-apply.js';

export type AuthResponse =
  | AuthEnableResponse
  | AuthDisableResponse
  | AuthStatusResponse
  | AuthenticateResponse
  | AuthUserAddResponse
  | AuthUserDeleteResponse
  | AuthUserChangePasswordResponse
  | AuthUserGrantRoleResponse
  | AuthUserRevokeRoleResponse
  | AuthUserGetResponse
  | AuthUserListResponse
  | AuthRoleAddResponse
  | AuthRoleDeleteResponse
  | AuthRoleGetResponse
  | AuthRoleListResponse
  | AuthRoleGrantPermissionResponse
  | AuthRoleRevokePermissionResponse;

/** The user and auth revision a proposal was authorized with (none: revision 0). */
export function authInfoOf(req: InternalRaftRequest): AuthInfo {
  return { username: req.header?.username ?? '', revision: Number(req.header?.authRevision ?? 0n) };
}

/** Auth management requests only root may make (etcd's needAdminPermission). */
function needsAdmin(r: InternalRaftRequest): boolean {
  return !!(
    r.authEnable ||
    r.authDisable ||
    r.authStatus ||
    r.authUserAdd ||
    r.authUserDelete ||
    r.authUserChangePassword ||
    r.authUserGrantRole ||
    r.authUserRevokeRole ||
    r.authUserList ||
    r.authRoleAdd ||
    r.authRoleDelete ||
    r.authRoleGrantPermission ||
    r.authRoleRevokePermission ||
    r.authRoleList
  );
}

/** Throws the auth error that stops `req` from applying, as every member decides alike. */
export function checkAtApply(auth: AuthStore, req: InternalRaftRequest): void {
  const ai = authInfoOf(req);
  if (needsAdmin(req)) auth.checkAdmin(ai);
  else if (req.authUserGet) {
    // Anyone may read their own user.
    if (req.authUserGet.name !== ai.username) auth.checkAdmin(ai);
  } else if (req.authRoleGet) {
    // ...and the roles they hold.
    if (!auth.enabled) return;
    try {
      auth.checkAdmin(ai);
    } catch (err) {
      if (!auth.hasRole(ai.username, req.authRoleGet.role)) throw err;
    }
  } else if (req.put) checkPutAuth(auth, ai, req.put);
  else if (req.deleteRange) checkDeleteAuth(auth, ai, req.deleteRange);
  else if (req.txn) checkTxnAuth(auth, ai, req.txn);
  else if (req.range) checkRangeAuth(auth, ai, req.range);
}

/** Applies an auth management request; undefined if `req` is not one. */
export function applyAuthRequest(auth: AuthStore, req: InternalRaftRequest, index: number, kvRev: number): AuthResponse | undefined {
  const header = revisionHeader(kvRev);
  if (req.authEnable) {
    auth.authEnable();
    return { header };
  }
  if (req.authDisable) {
    auth.authDisable();
    return { header };
  }
  if (req.authStatus) return { header, enabled: auth.enabled, authRevision: BigInt(auth.revision) };
  if (req.authenticate) {
    const a = req.authenticate;
    // JWTs leave the token empty here: the proposer signs one once this applied.
    return { header, token: auth.authenticate(a.name, a.simpleToken, index) ?? '' };
  }
  if (req.authUserAdd) {
    const r = req.authUserAdd;
    auth.userAdd(r.name, r.hashedPassword, r.options?.noPassword ?? false);
    return { header };
  }
  if (req.authUserDelete) {
    auth.userDelete(req.authUserDelete.name);
    return { header };
  }
  if (req.authUserChangePassword) {
    auth.userChangePassword(req.authUserChangePassword.name, req.authUserChangePassword.hashedPassword);
    return { header };
  }
  if (req.authUserGrantRole) {
    auth.userGrantRole(req.authUserGrantRole.user, req.authUserGrantRole.role);
    return { header };
  }
  if (req.authUserRevokeRole) {
    auth.userRevokeRole(req.authUserRevokeRole.name, req.authUserRevokeRole.role);
    return { header };
  }
  if (req.authUserGet) return { header, roles: auth.userGet(req.authUserGet.name) };
  if (req.authUserList) return { header, users: auth.userList() };
  if (req.authRoleAdd) {
    auth.roleAdd(req.authRoleAdd.name);
    return { header };
  }
  if (req.authRoleDelete) {
    auth.roleDelete(req.authRoleDelete.role);
    return { header };
  }
  if (req.authRoleGet) return { header, perm: auth.roleGet(req.authRoleGet.role) };
  if (req.authRoleList) return { header, roles: auth.roleList() };
  if (req.authRoleGrantPermission) {
    const r = req.authRoleGrantPermission;
    auth.roleGrantPermission(r.name, r.perm ?? { permType: 0, key: Buffer.alloc(0), rangeEnd: Buffer.alloc(0) });
    return { header };
  }
  if (req.authRoleRevokePermission) {
    const r = req.authRoleRevokePermission;
    auth.roleRevokePermission(r.role, r.key, r.rangeEnd);
    return { header };
  }
  return undefined;
}

/**
 * For the lease applier: etcd refuses LeaseRevoke (and a put attaching a key to a lease)
 * unless the requester may write every key already attached to that lease.
 */
export function checkLeaseKeysAtApply(auth: AuthStore, req: InternalRaftRequest, attachedKeys: Iterable<Uint8Array>): void {
  if (!auth.enabled) return;
  const ai = authInfoOf(req);
  for (const key of attachedKeys) auth.checkOp(ai, key, undefined, 'write');
}
