// Parses --auth-token: `simple`, or `jwt,key=value,...`, into a token provider.

import { JwtTokens, parseJwtOptions } from './token-jwt.js';
import { SimpleTokens } from './token-simple.js';
import type { Clock, TokenProvider } from './token-provider.js';

export function newTokenProvider(spec: string, simpleTtlSeconds: number, now: Clock = Date.now): TokenProvider {
  const [kind, ...rest] = spec.split(',');
  if (kind === 'simple' || kind === '') return new SimpleTokens(simpleTtlSeconds * 1000, now);
  if (kind === 'jwt') {
    const opts: Record<string, string> = {};
    for (const kv of rest) {
      const eq = kv.indexOf('=');
      if (eq < 0) throw new Error(`auth: invalid jwt option ${JSON.stringify(kv)}`);
      opts[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    return new JwtTokens(parseJwtOptions(opts), now);
  }
  throw new Error(`auth: unknown token type ${JSON.stringify(kind)}`);
}
