// etcd's `jwt` tokens: `--auth-token jwt,pub-key=<file>,priv-key=<file>,sign-method=RS256,ttl=5m`.
// The token carries the user name, the auth revision at which it was issued and its
// expiry; any member with the public key can check it, and it survives restarts. A
// member with only the public key can verify but not issue.

import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { jwtVerify, SignJWT } from 'jose';
import { parseGoDuration } from '../pkg/go-strconv.js';
import type { AuthInfo, Clock, TokenProvider } from './token-provider.js';

/** etcd's default JWT lifetime when `ttl=` is not given. */
export const JWT_DEFAULT_TTL_MS = 5 * 60 * 1000;

export interface JwtOptions {
  signMethod: string;
  publicKey?: KeyObject;
  privateKey?: KeyObject;
  ttlMs: number;
}

const HMAC = /^HS(256|384|512)$/;
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$/;

/** Parses the options after `jwt,` (already split on commas into `key=value`). */
export function parseJwtOptions(opts: Record<string, string>): JwtOptions {
  const signMethod = opts['sign-method'] ?? '';
  if (signMethod === '') throw new Error('auth: failed to parse jwt options: sign-method is required');
  const ttlMs = opts['ttl'] !== undefined ? parseGoDuration(opts['ttl']) : JWT_DEFAULT_TTL_MS;
  const out: JwtOptions = { signMethod, ttlMs };
  if (HMAC.test(signMethod)) {
    const file = opts['priv-key'];
    if (!file) throw new Error('auth: failed to parse jwt options: priv-key is required for HMAC sign methods');
    const secret = createSecretKey(readFileSync(file));
    out.privateKey = secret;
    out.publicKey = secret;
    return out;
  }
  if (!ASYMMETRIC.test(signMethod)) throw new Error(`auth: invalid sign-method ${signMethod}`);
  if (opts['priv-key']) {
    out.privateKey = createPrivateKey(readFileSync(opts['priv-key']));
    out.publicKey = createPublicKey(out.privateKey);
  }
  if (opts['pub-key']) out.publicKey = createPublicKey(readFileSync(opts['pub-key']));
  if (!out.publicKey) throw new Error('auth: failed to parse jwt options: pub-key or priv-key is required');
  return out;
}

export class JwtTokens implements TokenProvider {
  readonly kind = 'jwt';

  constructor(
    private readonly opts: JwtOptions,
    private readonly now: Clock = Date.now,
  ) {}

  enable(): void {}
  disable(): void {}

  async info(token: string): Promise<AuthInfo | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.opts.publicKey!, {
        algorithms: [this.opts.signMethod],
        currentDate: new Date(this.now()),
      });
      const username = payload['username'];
      const revision = payload['revision'];
      if (typeof username !== 'string' || typeof revision !== 'number') return undefined;
      return { username, revision };
    } catch {
      return undefined;
    }
  }

  genTokenPrefix(): string {
    return '';
  }

  assignOnApply(): string | undefined {
    return undefined;
  }

  async sign(username: string, revision: number): Promise<string> {
    if (!this.opts.privateKey) throw new Error('auth: jwt token provider has no private key to sign with');
    return new SignJWT({ username, revision })
      .setProtectedHeader({ alg: this.opts.signMethod })
      .setExpirationTime(Math.floor((this.now() + this.opts.ttlMs) / 1000))
      .sign(this.opts.privateKey);
  }

  invalidateUser(): void {}
}
