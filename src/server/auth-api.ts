// The member's Auth API: what the gRPC Auth service and the gateway's /v3/auth/* call.
// Every request is proposed through raft so all members apply it in the same order;
// passwords are hashed (and checked) here on the proposing member, never at apply, so
// apply stays deterministic and no plain password is written to the WAL.

import type { AuthStore } from '../auth/auth-store.js';
import { AuthErrors } from '../auth/errors.js';
import { hashPassword } from '../auth/password.js';
import type { AuthInfo } from '../auth/token-provider.js';
import type * as pb from '../gen/etcdserverpb/rpc.js';
import type { InternalRaftRequest } from '../gen/etcdserverpb/raft_internal.js';
import type { ApplyResult } from './applier.js';
import type { AuthGate, RequestAuth } from './auth-gate.js';

/** Authenticate retries when the auth store changed between the password check and apply. */
export const AUTHENTICATE_ATTEMPTS_MAX = 5;

export interface AuthApiDeps {
  store: AuthStore | undefined;
  gate: AuthGate;
  bcryptCost: number;
  propose(body: Partial<InternalRaftRequest>, ai: AuthInfo | undefined): Promise<ApplyResult>;
  withHeader<T extends { header?: pb.ResponseHeader | undefined }>(resp: T): T;
}

export class AuthApi {
  constructor(private readonly d: AuthApiDeps) {}

  private async run<T extends { header?: pb.ResponseHeader | undefined }>(ctx: RequestAuth | undefined, body: Partial<InternalRaftRequest>): Promise<T> {
    const ai = await this.d.gate.authInfo(ctx);
    const res = await this.d.propose(body, ai);
    return this.d.withHeader(res.resp as T);
  }

  private get store(): AuthStore {
    if (!this.d.store) throw AuthErrors.AuthNotEnabled;
    return this.d.store;
  }

  authEnable(_r: pb.AuthEnableRequest, ctx?: RequestAuth): Promise<pb.AuthEnableResponse> {
    return this.run(ctx, { authEnable: {} });
  }

  authDisable(_r: pb.AuthDisableRequest, ctx?: RequestAuth): Promise<pb.AuthDisableResponse> {
    return this.run(ctx, { authDisable: {} });
  }

  authStatus(_r: pb.AuthStatusRequest, ctx?: RequestAuth): Promise<pb.AuthStatusResponse> {
    return this.run(ctx, { authStatus: {} });
  }

  async authenticate(r: pb.AuthenticateRequest): Promise<pb.AuthenticateResponse> {
    const store = this.store;
    for (let attempt = 1; ; attempt++) {
      const checkedRevision = await store.checkPassword(r.name, r.password);
      const simpleToken = store.tokens.genTokenPrefix();
      const res = await this.d.propose({ authenticate: { name: r.name, password: '', simpleToken } }, undefined);
      // The password (or the user) may have changed while this was in flight: check again.
      if (checkedRevision !== store.revision && attempt < AUTHENTICATE_ATTEMPTS_MAX) continue;
      const resp = res.resp as pb.AuthenticateResponse;
      if (resp.token === '') resp.token = await store.tokens.sign(r.name, store.revision);
      return this.d.withHeader(resp);
    }
  }

  async userAdd(r: pb.AuthUserAddRequest, ctx?: RequestAuth): Promise<pb.AuthUserAddResponse> {
    if (r.name.length === 0) throw AuthErrors.UserEmpty;
    const noPassword = r.options?.noPassword ?? false;
    const hashedPassword = noPassword ? '' : await hashPassword(r.password, this.d.bcryptCost);
    return this.run(ctx, { authUserAdd: { ...r, password: '', hashedPassword } });
  }

  userGet(r: pb.AuthUserGetRequest, ctx?: RequestAuth): Promise<pb.AuthUserGetResponse> {
    return this.run(ctx, { authUserGet: r });
  }

  userList(r: pb.AuthUserListRequest, ctx?: RequestAuth): Promise<pb.AuthUserListResponse> {
    return this.run(ctx, { authUserList: r });
  }

  userDelete(r: pb.AuthUserDeleteRequest, ctx?: RequestAuth): Promise<pb.AuthUserDeleteResponse> {
    return this.run(ctx, { authUserDelete: r });
  }

  async userChangePassword(r: pb.AuthUserChangePasswordRequest, ctx?: RequestAuth): Promise<pb.AuthUserChangePasswordResponse> {
    const hashedPassword = await hashPassword(r.password, this.d.bcryptCost);
    return this.run(ctx, { authUserChangePassword: { name: r.name, password: '', hashedPassword } });
  }

  userGrantRole(r: pb.AuthUserGrantRoleRequest, ctx?: RequestAuth): Promise<pb.AuthUserGrantRoleResponse> {
    return this.run(ctx, { authUserGrantRole: r });
  }

  userRevokeRole(r: pb.AuthUserRevokeRoleRequest, ctx?: RequestAuth): Promise<pb.AuthUserRevokeRoleResponse> {
    return this.run(ctx, { authUserRevokeRole: r });
  }

  roleAdd(r: pb.AuthRoleAddRequest, ctx?: RequestAuth): Promise<pb.AuthRoleAddResponse> {
    return this.run(ctx, { authRoleAdd: r });
  }

  roleGet(r: pb.AuthRoleGetRequest, ctx?: RequestAuth): Promise<pb.AuthRoleGetResponse> {
    return this.run(ctx, { authRoleGet: r });
  }

  roleList(r: pb.AuthRoleListRequest, ctx?: RequestAuth): Promise<pb.AuthRoleListResponse> {
    return this.run(ctx, { authRoleList: r });
  }

  roleDelete(r: pb.AuthRoleDeleteRequest, ctx?: RequestAuth): Promise<pb.AuthRoleDeleteResponse> {
    return this.run(ctx, { authRoleDelete: r });
  }

  roleGrantPermission(r: pb.AuthRoleGrantPermissionRequest, ctx?: RequestAuth): Promise<pb.AuthRoleGrantPermissionResponse> {
    return this.run(ctx, { authRoleGrantPermission: r });
  }

  roleRevokePermission(r: pb.AuthRoleRevokePermissionRequest, ctx?: RequestAuth): Promise<pb.AuthRoleRevokePermissionResponse> {
    return this.run(ctx, { authRoleRevokePermission: r });
  }
}
