// etcd's `simple` tokens: 16 random letters chosen by the proposing member, a dot, and
// the raft index of the Authenticate entry ("NZfCOMRkJWmctsSz.101"). Every member keeps
// the live ones in memory, so they are invalidated by a restart. A token expires after
// --auth-token-ttl without use; each use restarts its TTL, as etcd's token keeper does.

import { randomInt } from 'node:crypto';
import type { AuthInfo, Clock, TokenProvider } from './token-provider.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** etcd's defaultSimpleTokenLength. */
export const SIMPLE_TOKEN_PREFIX_LENGTH = 16;
/** Bound on live tokens: beyond it the ones closest to expiry are dropped first. */
export const SIMPLE_TOKENS_MAX = 100_000;

interface Held {
  username: string;
  expiresAtMs: number;
}

export class SimpleTokens implements TokenProvider {
  readonly kind = 'simple';
  private readonly tokens = new Map<string, Held>();
  private enabled = false;

  constructor(
    private readonly ttlMs: number,
    private readonly now: Clock = Date.now,
  ) {}

  enable(): void {
    this.enabled = true;
  }

  disable(): void {
    this.enabled = false;
    this.tokens.clear();
  }

  async info(token: string, currentRevision: number): Promise<AuthInfo | undefined> {
    const held = this.tokens.get(token);
    if (!held) return undefined;
    const now = this.now();
    if (now >= held.expiresAtMs) {
      this.tokens.delete(token);
      return undefined;
    }
    held.expiresAtMs = now + this.ttlMs;
    // A simple token does not remember a revision: it acts at the store's current one.
    return { username: held.username, revision: currentRevision };
  }

  genTokenPrefix(): string {
    let s = '';
    for (let i = 0; i < SIMPLE_TOKEN_PREFIX_LENGTH; i++) s += LETTERS[randomInt(LETTERS.length)];
    return s;
  }

  assignOnApply(username: string, prefix: string, index: number): string | undefined {
    const token = `${prefix}.${index}`;
    if (!this.enabled) return token;
    this.sweep();
    this.tokens.set(token, { username, expiresAtMs: this.now() + this.ttlMs });
    return token;
  }

  async sign(): Promise<string> {
    throw new Error('simple tokens are assigned at apply');
  }

  invalidateUser(username: string): void {
    for (const [t, h] of this.tokens) if (h.username === username) this.tokens.delete(t);
  }

  /** Number of live tokens (tests). */
  get size(): number {
    return this.tokens.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [t, h] of this.tokens) if (now >= h.expiresAtMs) this.tokens.delete(t);
    while (this.tokens.size >= SIMPLE_TOKENS_MAX) {
      const first = this.tokens.keys().next().value as string;
      this.tokens.delete(first);
    }
  }
}
