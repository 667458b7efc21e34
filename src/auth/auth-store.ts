// The auth store: users, roles, permissions, the enabled flag and the auth revision,
// kept in the backend's `auth`, `authUsers` and `authRoles` buckets (etcd's layout:
// users and roles as authpb protobufs keyed by name; `authEnabled` and `authRevision`
// under `auth`). Every change comes from an applied raft entry, so every member holds
// the same store; the methods that change it are synchronous and deterministic (password
// hashes arrive already computed by the proposer).
//
// The auth revision counts changes to users, roles and permissions and to the enabled
// flag going off. A request is authorized at the revision its token was checked at; if
// the store moved on before the request applied, it fails with `revision of auth store
// is old` and the client re-authenticates.

import { Permission, Permission_Type, Role, User } from '../gen/authpb/auth.js';
import type { BatchTx } from '../storage/buckets.js';
import { AuthErrors } from './errors.js';
import { passwordMatches } from './password.js';
import { covers, toInterval, unifyPermissions, type UnifiedPermissions } from './permissions.js';
import type { AuthInfo, TokenProvider } from './token-provider.js';

export const ROOT_USER = 'root';
export const ROOT_ROLE = 'root';

const ENABLED_KEY = Buffer.from('authEnabled');
const REVISION_KEY = Buffer.from('authRevision');
const ENABLED = Buffer.from([1]);
const DISABLED = Buffer.from([0]);

export type PermissionKind = 'read' | 'write';

function nameKey(name: string): Buffer {
  return Buffer.from(name, 'utf8');
}

export class AuthStore {
  private enabledFlag: boolean;
  private rev: number;
  /** Unified permissions per user; dropped whenever the revision moves. */
  private readonly permCache = new Map<string, UnifiedPermissions>();

  constructor(
    private readonly tx: BatchTx,
    readonly tokens: TokenProvider,
  ) {
    this.enabledFlag = false;
    this.rev = 0;
    this.reload();
  }

  /** Reads the auth state again from the backend (it was replaced by a raft snapshot's db). */
  reload(): void {
    const was = this.enabledFlag;
    this.enabledFlag = this.tx.get('auth', ENABLED_KEY)?.equals(ENABLED) ?? false;
    const revBytes = this.tx.get('auth', REVISION_KEY);
    this.rev = revBytes && revBytes.length === 8 ? Number(revBytes.readBigUInt64BE()) : 0;
    this.permCache.clear();
    if (this.enabledFlag && !was) this.tokens.enable();
    if (!this.enabledFlag && was) this.tokens.disable();
    // A new store starts at revision 1, so revision 0 always means "no user given".
    if (this.rev === 0) this.commitRevision();
  }

  get enabled(): boolean {
    return this.enabledFlag;
  }

  get revision(): number {
    return this.rev;
  }

  private commitRevision(): void {
    this.rev++;
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(this.rev));
    this.tx.put('auth', REVISION_KEY, b);
    this.permCache.clear();
  }

  // ---- users and roles as stored ----

  private getUser(name: string): User | undefined {
    const v = this.tx.get('authUsers', nameKey(name));
    return v ? User.decode(v) : undefined;
  }

  private putUser(u: User): void {
    this.tx.put('authUsers', Buffer.from(u.name), Buffer.from(User.encode(u).finish()));
  }

  private getRole(name: string): Role | undefined {
    const v = this.tx.get('authRoles', nameKey(name));
    return v ? Role.decode(v) : undefined;
  }

  private putRole(r: Role): void {
    this.tx.put('authRoles', Buffer.from(r.name), Buffer.from(Role.encode(r).finish()));
  }

  private allUsers(): User[] {
    return this.tx.range('authUsers', Buffer.alloc(0)).map((e) => User.decode(e.value));
  }

  // ---- enable / disable / status ----

  authEnable(): void {
    if (this.enabledFlag) return;
    const root = this.getUser(ROOT_USER);
    if (!root) throw AuthErrors.RootUserNotExist;
    if (!root.roles.includes(ROOT_ROLE)) throw AuthErrors.RootRoleNotExist;
    this.tx.put('auth', ENABLED_KEY, ENABLED);
    this.enabledFlag = true;
    this.tokens.enable();
    this.permCache.clear();
  }

  authDisable(): void {
    if (!this.enabledFlag) return;
    this.tx.put('auth', ENABLED_KEY, DISABLED);
    this.commitRevision();
    this.enabledFlag = false;
    this.tokens.disable();
  }

  // ---- authentication ----

  /** On the proposer, before proposing Authenticate: the bcrypt check, off the apply path. */
  async checkPassword(name: string, password: string): Promise<number> {
    if (!this.enabledFlag) throw AuthErrors.AuthNotEnabled;
    const u = this.getUser(name);
    if (!u) throw AuthErrors.AuthFailed;
    if (u.options?.noPassword) throw AuthErrors.NoPasswordUser;
    if (!(await passwordMatches(password, Buffer.from(u.password).toString('utf8')))) throw AuthErrors.AuthFailed;
    return this.rev;
  }

  /** At apply: mints the token (simple) or returns undefined (jwt, signed by the proposer). */
  authenticate(name: string, simpleTokenPrefix: string, index: number): string | undefined {
    if (!this.enabledFlag) throw AuthErrors.AuthNotEnabled;
    const u = this.getUser(name);
    if (!u || u.options?.noPassword) throw AuthErrors.AuthFailed;
    return this.tokens.assignOnApply(name, simpleTokenPrefix, index);
  }

  /** The holder of a token, as of the current revision (simple) or its issue (jwt). */
  authInfoFromToken(token: string): Promise<AuthInfo | undefined> {
    return this.tokens.info(token, this.rev);
  }

  // ---- users ----

  userAdd(name: string, hashedPassword: string, noPassword: boolean): void {
    if (name.length === 0) throw AuthErrors.UserEmpty;
    if (this.getUser(name)) throw AuthErrors.UserAlreadyExist;
    this.putUser({
      name: nameKey(name),
      password: Buffer.from(noPassword ? '' : hashedPassword, 'utf8'),
      roles: [],
      options: { noPassword },
    });
    this.commitRevision();
  }

  userDelete(name: string): void {
    if (this.enabledFlag && name === ROOT_USER) throw AuthErrors.InvalidAuthMgmt;
    if (!this.getUser(name)) throw AuthErrors.UserNotFound;
    this.tx.delete('authUsers', nameKey(name));
    this.commitRevision();
    this.tokens.invalidateUser(name);
  }

  userChangePassword(name: string, hashedPassword: string): void {
    const u = this.getUser(name);
    if (!u) throw AuthErrors.UserNotFound;
    u.password = Buffer.from(hashedPassword, 'utf8');
    this.putUser(u);
    this.commitRevision();
    this.tokens.invalidateUser(name);
  }

  userGrantRole(name: string, role: string): void {
    const u = this.getUser(name);
    if (!u) throw AuthErrors.UserNotFound;
    // The root role needs no definition: granting it is what makes a user root.
    if (role !== ROOT_ROLE && !this.getRole(role)) throw AuthErrors.RoleNotFound;
    if (u.roles.includes(role)) return; // etcd ignores a repeated grant
    u.roles = [...u.roles, role].sort();
    this.putUser(u);
    this.commitRevision();
  }

  userRevokeRole(name: string, role: string): void {
    if (this.enabledFlag && name === ROOT_USER && role === ROOT_ROLE) throw AuthErrors.InvalidAuthMgmt;
    const u = this.getUser(name);
    if (!u) throw AuthErrors.UserNotFound;
    if (!u.roles.includes(role)) throw AuthErrors.RoleNotGranted;
    u.roles = u.roles.filter((r) => r !== role);
    this.putUser(u);
    this.commitRevision();
  }

  userGet(name: string): string[] {
    const u = this.getUser(name);
    if (!u) throw AuthErrors.UserNotFound;
    return u.roles;
  }

  userList(): string[] {
    return this.allUsers().map((u) => Buffer.from(u.name).toString('utf8'));
  }

  // ---- roles ----

  roleAdd(name: string): void {
    if (name.length === 0) throw AuthErrors.RoleEmpty;
    if (this.getRole(name)) throw AuthErrors.RoleAlreadyExist;
    this.putRole({ name: nameKey(name), keyPermission: [] });
    this.commitRevision();
  }

  roleDelete(name: string): void {
    if (this.enabledFlag && name === ROOT_ROLE) throw AuthErrors.InvalidAuthMgmt;
    if (!this.getRole(name)) throw AuthErrors.RoleNotFound;
    this.tx.delete('authRoles', nameKey(name));
    // Users keep no dangling grant of a deleted role.
    for (const u of this.allUsers()) {
      if (!u.roles.includes(name)) continue;
      u.roles = u.roles.filter((r) => r !== name);
      this.putUser(u);
    }
    this.commitRevision();
  }

  roleGet(name: string): Permission[] {
    const r = this.getRole(name);
    if (!r) throw AuthErrors.RoleNotFound;
    return r.keyPermission;
  }

  roleList(): string[] {
    return this.tx.range('authRoles', Buffer.alloc(0)).map((e) => e.key.toString('utf8'));
  }

  roleGrantPermission(name: string, perm: Permission): void {
    const r = this.getRole(name);
    if (!r) throw AuthErrors.RoleNotFound;
    const same = r.keyPermission.find((p) => Buffer.from(p.key).equals(perm.key) && Buffer.from(p.rangeEnd).equals(perm.rangeEnd));
    if (same) same.permType = perm.permType;
    else {
      r.keyPermission.push({ permType: perm.permType, key: Buffer.from(perm.key), rangeEnd: Buffer.from(perm.rangeEnd) });
      // Stable sort by key, as etcd keeps a role's permissions.
      r.keyPermission.sort((a, b) => Buffer.compare(a.key, b.key));
    }
    this.putRole(r);
    this.commitRevision();
  }

  roleRevokePermission(name: string, key: Uint8Array, rangeEnd: Uint8Array): void {
    const r = this.getRole(name);
    if (!r) throw AuthErrors.RoleNotFound;
    const i = r.keyPermission.findIndex((p) => Buffer.from(p.key).equals(key) && Buffer.from(p.rangeEnd).equals(rangeEnd));
    if (i < 0) throw AuthErrors.PermissionNotGranted;
    r.keyPermission.splice(i, 1);
    this.putRole(r);
    this.commitRevision();
  }

  // ---- permission checks ----

  /** Does `user` hold `role` (a non-root user may read its own roles)? */
  hasRole(user: string, role: string): boolean {
    return this.getUser(user)?.roles.includes(role) ?? false;
  }

  /**
   * etcd's isOpPermitted: nothing to check while auth is off; no user (revision 0) is
   * `user name is empty`; a request checked at an older revision must retry; root may do
   * anything; everyone else needs a grant covering [key, rangeEnd).
   */
  checkOp(info: AuthInfo | undefined, key: Uint8Array, rangeEnd: Uint8Array | undefined, kind: PermissionKind): void {
    if (!this.enabledFlag) return;
    if (!info || info.revision === 0) throw AuthErrors.UserEmpty;
    if (info.revision < this.rev) throw AuthErrors.AuthOldRevision;
    const u = this.getUser(info.username);
    if (!u) throw AuthErrors.PermissionDenied;
    if (u.roles.includes(ROOT_ROLE)) return;
    const perms = this.permissionsOf(u);
    if (!covers(kind === 'read' ? perms.read : perms.write, toInterval(key, rangeEnd))) throw AuthErrors.PermissionDenied;
  }

  /** Admin requests (auth management, and the like): root only. */
  checkAdmin(info: AuthInfo | undefined): void {
    if (!this.enabledFlag) return;
    if (!info || info.username === '') throw AuthErrors.UserEmpty;
    const u = this.getUser(info.username);
    if (!u) throw AuthErrors.UserNotFound;
    if (!u.roles.includes(ROOT_ROLE)) throw AuthErrors.PermissionDenied;
  }

  private permissionsOf(u: User): UnifiedPermissions {
    const name = Buffer.from(u.name).toString('utf8');
    let p = this.permCache.get(name);
    if (!p) {
      const all: Permission[] = [];
      for (const role of u.roles) all.push(...(this.getRole(role)?.keyPermission ?? []));
      p = unifyPermissions(all);
      this.permCache.set(name, p);
    }
    return p;
  }
}

export { Permission_Type };
