// Auth tokens: what `Authenticate` hands out and every later request carries in its
// `token` metadata. Two kinds, chosen by --auth-token as in etcd: `simple` (random,
// held in memory by every member, so they die with the process) and `jwt` (signed,
// self-describing, valid on any member that has the public key).

/** Who a request acts for, and the auth store revision its token was checked at. */
export interface AuthInfo {
  username: string;
  revision: number;
}

export interface TokenProvider {
  readonly kind: 'simple' | 'jwt';
  enable(): void;
  disable(): void;
  /** The holder of `token`, or undefined when it is unknown, expired or forged. */
  info(token: string, currentRevision: number): Promise<AuthInfo | undefined>;
  /** Chosen by the proposing member and put in the log, so all members mint the same simple token. */
  genTokenPrefix(): string;
  /**
   * Runs on every member when an Authenticate entry applies. Simple tokens are minted
   * and registered here (`prefix.index`); JWTs need no shared state and return undefined.
   */
  assignOnApply(username: string, prefix: string, index: number): string | undefined;
  /** On the proposer, after apply: a JWT signs here. */
  sign(username: string, revision: number): Promise<string>;
  /** A deleted user or a changed password invalidates the user's tokens. */
  invalidateUser(username: string): void;
}

/** Milliseconds since the epoch; injected so tests can move time. */
export type Clock = () => number;
