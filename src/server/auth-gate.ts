// The seam every client-facing request passes through when auth may be on: resolve the
// caller's token (gRPC metadata `token`, or the gateway's `Authorization` header) to a
// user, and check what the request is about to touch. Watch and Lease call `authorize`
// with the keys they read or write; KV requests are checked here for local reads and
// again at apply for proposals (see auth-apply.ts), where the auth revision decides.

import type { AuthStore } from '../auth/auth-store.js';
import { AuthErrors, EtcdError, unmappedAuthError } from '../auth/errors.js';
import type { AuthInfo } from '../auth/token-provider.js';

/** What the API layer knows of a caller's credentials. */
export interface RequestAuth {
  token?: string | undefined;
}

/**
 * An operation to authorize: reading or writing `key` (or [key, rangeEnd), etcd's range
 * conventions: empty rangeEnd is one key, "\0" is open ended), or an admin operation
 * (root only).
 */
export type AuthOp = { kind: 'read' | 'write'; key: Uint8Array; rangeEnd?: Uint8Array } | { kind: 'admin' };

export class AuthGate {
  constructor(readonly store?: AuthStore) {}

  /** True when authInfo(ctx) resolves to undefined without a lookup (no auth store, or no token). */
  resolvesToNobody(ctx?: RequestAuth): boolean {
    const token = ctx?.token;
    return !this.store || token === undefined || token === '';
  }

  /**
   * The caller, or undefined when it sent no token. An unknown or expired token is
   * `invalid auth token` (UNAUTHENTICATED), on which clients re-authenticate; etcd says
   * so even while auth is off (disabling auth drops every simple token).
   */
  async authInfo(ctx?: RequestAuth): Promise<AuthInfo | undefined> {
    const token = ctx?.token;
    if (!this.store || token === undefined || token === '') return undefined;
    const info = await this.store.authInfoFromToken(token);
    if (!info) throw AuthErrors.InvalidAuthToken;
    return info;
  }

  /** Resolves the caller and checks `op` against the auth store as it is now. */
  async authorize(ctx: RequestAuth | undefined, op: AuthOp): Promise<AuthInfo | undefined> {
    const info = await this.authInfo(ctx);
    this.check(info, op);
    return info;
  }

  /**
   * Defragment, Hash, HashKV and Snapshot: root only while auth is on (Status, Alarm and
   * MoveLeader are not checked in etcd 3.4). Refused with etcd's unmapped errors: code
   * UNKNOWN, "auth: user name is empty" / "auth: permission denied".
   */
  async checkMaintenance(ctx: RequestAuth | undefined): Promise<void> {
    try {
      const info = await this.authInfo(ctx);
      this.check(info, { kind: 'admin' });
    } catch (err) {
      throw err instanceof EtcdError ? unmappedAuthError(err) : err;
    }
  }

  /** `authorize` for a caller already resolved. */
  check(info: AuthInfo | undefined, op: AuthOp): void {
    if (!this.store) return;
    if (op.kind === 'admin') this.store.checkAdmin(info);
    else this.store.checkOp(info, op.key, op.rangeEnd, op.kind);
  }
}
