// The machinery under `Client`: one Connection per endpoint, unary calls with a per-call
// deadline and failover across endpoints, auth tokens, and opening streams on a live
// endpoint. `Client` (client.ts) adds the typed etcd methods on top.
//
// Failover rules (clientv3's, in spirit):
// - A call goes to the endpoint that last answered; an endpoint that cannot be reached
//   (connection refused, still not connected after dialTimeoutMs) passes the call on to
//   the next one, round-robin, in rounds separated by ROUND_BACKOFF_MS, until the
//   deadline (commandTimeoutMs) or, without a deadline, MAX_UNARY_ROUNDS rounds.
// - UNAVAILABLE from a server ("etcdserver: no leader", a dropped connection) moves
//   *reads* on to the next endpoint; writes move on only when grpc-js proves the request
//   never left (no connection), because a write may have been applied.
// - Any other status is the answer and is thrown as a ClientError.

import { connectivityState, Metadata, status as GrpcStatus, type ClientDuplexStream, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { AuthenticateRequest, AuthenticateResponse, AuthService } from '../gen/etcdserverpb/rpc.js';
import { Connection, type KeepAlive, type MethodDef, type TlsFiles } from './connection.js';
import { parseEndpoint } from './endpoint.js';
import { ClientError, DEADLINE_TEXT, fromServiceError, goDialError, INVALID_AUTH_TOKEN, neverSent } from './errors.js';

const AUTH_NOT_ENABLED = 'etcdserver: authentication is not enabled';

/** Errors after which clientv3 authenticates again and retries (its shouldRefreshToken). */
const TOKEN_REFRESH_ERRORS = new Set([INVALID_AUTH_TOKEN, 'etcdserver: revision of auth store is old', 'etcdserver: user name is empty']);

export interface ClientConfig {
  /** host:port, http://host:port, https://host:port, unix://path or unixs://path. */
  endpoints: string[];
  /** How long one endpoint may take to connect before the call moves on; 0: until the deadline. */
  dialTimeoutMs?: number;
  /** Deadline of each call, failover included; 0 for none. */
  commandTimeoutMs?: number;
  /** With `password`, authenticate once and send the token with every call. */
  username?: string;
  password?: string;
  tls?: TlsFiles;
  /** Largest request sent; clientv3's default is 2 MiB. */
  maxSendBytes?: number;
  /** Keep-alive pings on streaming connections (etcdctl --keepalive-time/--keepalive-timeout). */
  keepAlive?: KeepAlive;
}

/** Per-call overrides. */
export interface CallOptions {
  /** Replaces commandTimeoutMs for this call; 0 for no deadline. */
  timeoutMs?: number;
}

/** Whether a call may be repeated on another endpoint after UNAVAILABLE. */
export type RetryKind = 'read' | 'write';

/** Requests are capped at 2 MiB, clientv3's default, and refused before sending. */
export const MAX_SEND_BYTES = 2 * 1024 * 1024;
/** Default wait for one endpoint's connection (etcdctl's --dial-timeout default). */
export const DEFAULT_DIAL_TIMEOUT_MS = 2_000;
/** Pause between rounds over all endpoints (clientv3 waits 25 ms between retries). */
export const ROUND_BACKOFF_MS = 25;
/** Rounds over all endpoints for a call without a deadline (clientv3 retries 100 times). */
export const MAX_UNARY_ROUNDS = 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ClientCore {
  protected readonly conns: Connection[];
  /** Index of the endpoint that answered last; calls start there. */
  private current = 0;
  private token: string | undefined;
  private authenticating: Promise<string> | undefined;
  private closed = false;

  /**
   * @param shared connections borrowed from another client (forEndpoint); this client
   *   then does not close them.
   */
  constructor(readonly config: ClientConfig, private readonly shared?: Connection[]) {
    if (config.endpoints.length === 0 && shared === undefined) throw new ClientError(GrpcStatus.INVALID_ARGUMENT, 'etcdclient: no available endpoints');
    this.conns = shared ?? config.endpoints.map((ep) => new Connection(parseEndpoint(ep), config.tls, config.keepAlive));
  }

  /** The endpoints in configuration order, as given. */
  get endpoints(): string[] {
    return this.conns.map((c) => c.endpoint.raw);
  }

  close(): void {
    this.closed = true;
    if (this.shared === undefined) for (const c of this.conns) c.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private deadlineOf(opts: CallOptions | undefined): number | undefined {
    const ms = opts?.timeoutMs ?? this.config.commandTimeoutMs ?? 0;
    return ms > 0 ? Date.now() + ms : undefined;
  }

  private dialDeadline(callDeadlineMs: number | undefined): number {
    const dial = this.config.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
    const dialEnd = dial > 0 ? Date.now() + dial : Number.POSITIVE_INFINITY;
    const end = Math.min(dialEnd, callDeadlineMs ?? Number.POSITIVE_INFINITY);
    return Number.isFinite(end) ? end : Date.now() + DEFAULT_DIAL_TIMEOUT_MS;
  }

  /** The deadline error, with Go's dial error when the last endpoint refused connections. */
  private deadlineError(lastErr: ClientError | undefined, conn: Connection): ClientError {
    const address = lastErr?.endpoint ?? conn.endpoint.address;
    return new ClientError(GrpcStatus.DEADLINE_EXCEEDED, DEADLINE_TEXT, address, goDialError(lastErr, address));
  }

  /** Metadata for a call: the auth token when credentials are configured. */
  private async metadata(conn: Connection, deadlineMs: number | undefined): Promise<Metadata> {
    const md = new Metadata();
    if (this.config.username === undefined) return md;
    const token = await this.authToken(conn, deadlineMs);
    if (token !== '') md.set('token', token);
    return md;
  }

  private authToken(conn: Connection, deadlineMs: number | undefined): Promise<string> {
    if (this.token !== undefined) return Promise.resolve(this.token);
    // One Authenticate at a time; concurrent calls share its token.
    this.authenticating ??= (async () => {
      const req = AuthenticateRequest.fromPartial({ name: this.config.username, password: this.config.password ?? '' });
      try {
        const res: AuthenticateResponse = await conn.unary(AuthService.authenticate, AuthService.authenticate.requestSerialize(req), new Metadata(), deadlineMs === undefined ? undefined : new Date(deadlineMs));
        this.token = res.token;
        return res.token;
      } catch (err) {
        const ce = fromServiceError(err as ServiceError, conn.endpoint.address);
        // Like clientv3's getToken: with auth off, carry on without a token ('').
        if (ce.message === AUTH_NOT_ENABLED) {
          this.token = '';
          return '';
        }
        throw ce;
      } finally {
        this.authenticating = undefined;
      }
    })();
    return this.authenticating;
  }

  /**
   * One unary call with the failover rules above. The request is encoded once; a request
   * larger than maxSendBytes fails with Go's wording before anything is sent.
   */
  protected async unary<Req, Res>(def: MethodDef<Req, Res>, req: Req, kind: RetryKind, opts?: CallOptions): Promise<Res> {
    if (this.closed) throw new ClientError(GrpcStatus.CANCELLED, 'grpc: the client connection is closing');
    const bytes = def.requestSerialize(req);
    const maxSend = this.config.maxSendBytes ?? MAX_SEND_BYTES;
    if (bytes.length > maxSend) {
      throw new ClientError(GrpcStatus.RESOURCE_EXHAUSTED, `trying to send message larger than max (${bytes.length} vs. ${maxSend})`, this.conns[this.current]!.endpoint.address);
    }
    const deadlineMs = this.deadlineOf(opts);
    const deadline = deadlineMs === undefined ? undefined : new Date(deadlineMs);
    let lastErr: ClientError | undefined;
    let reauthenticated = false;
    /** The last connection failure of each endpoint during this call. */
    const dialErrors = new Map<Connection, ClientError>();
    for (let round = 0; ; round++) {
      for (let attempt = 0; attempt < this.conns.length; attempt++) {
        const i = (this.current + attempt) % this.conns.length;
        const conn = this.conns[i]!;
        if (deadlineMs !== undefined && Date.now() >= deadlineMs) throw this.deadlineError(lastErr, conn);
        const ready = await conn.waitSettled(this.dialDeadline(deadlineMs));
        const s = conn.state(false);
        if (!ready && (s === connectivityState.CONNECTING || s === connectivityState.IDLE)) {
          // Still dialing (perhaps a reconnect after a refusal): a call now would only
          // queue. Try the next endpoint, remembering why this one last failed.
          lastErr = dialErrors.get(conn) ?? new ClientError(GrpcStatus.UNAVAILABLE, `dial ${conn.endpoint.address}: timed out connecting`, conn.endpoint.address);
          continue;
        }
        // READY, or TRANSIENT_FAILURE where the call fails at once with the dial error.
        try {
          const md = await this.metadata(conn, deadlineMs);
          const res = await conn.unary(def, bytes, md, deadline);
          this.current = i;
          return res;
        } catch (err) {
          const ce = err instanceof ClientError ? err : fromServiceError(err as ServiceError, conn.endpoint.address);
          if (TOKEN_REFRESH_ERRORS.has(ce.message) && this.config.username !== undefined && !reauthenticated) {
            // The token expired, the member restarted with simple tokens, or (JWT) the auth
            // store moved past the token's revision: fetch a new one, once, as clientv3 does.
            this.token = undefined;
            reauthenticated = true;
            attempt--;
            continue;
          }
          if (ce.code === GrpcStatus.DEADLINE_EXCEEDED) {
            // A call made while the channel was not READY waited for a connection that never
            // came (grpc-js queues it if the channel went back to CONNECTING meanwhile): that is
            // the dial failure's deadline, worded with the last refusal as clientv3 words it.
            // One sent on a READY channel took the whole deadline at the server: said plainly.
            throw s === connectivityState.READY ? ce : this.deadlineError(dialErrors.get(conn) ?? lastErr, conn);
          }
          const retryable = ce.code === GrpcStatus.UNAVAILABLE && (kind === 'read' || (!(err instanceof ClientError) && neverSent(err as ServiceError)));
          if (!retryable) throw ce;
          if (!(err instanceof ClientError) && neverSent(err as ServiceError)) dialErrors.set(conn, ce);
          lastErr = ce;
        }
      }
      const now = Date.now();
      if (deadlineMs === undefined ? round + 1 >= MAX_UNARY_ROUNDS : now >= deadlineMs) break;
      await sleep(Math.min(ROUND_BACKOFF_MS, (deadlineMs ?? now + ROUND_BACKOFF_MS) - now));
    }
    if (deadlineMs !== undefined) throw this.deadlineError(lastErr, this.conns[this.current]!);
    throw lastErr ?? new ClientError(GrpcStatus.UNAVAILABLE, 'etcdclient: no available endpoints');
  }

  /**
   * A connection that is READY, trying endpoints round-robin from the last good one until
   * `deadlineMs` (or MAX_UNARY_ROUNDS rounds without one). Streams start here.
   */
  protected async readyConnection(deadlineMs: number | undefined): Promise<Connection> {
    for (let round = 0; ; round++) {
      for (let attempt = 0; attempt < this.conns.length; attempt++) {
        if (this.closed) throw new ClientError(GrpcStatus.CANCELLED, 'grpc: the client connection is closing');
        const i = (this.current + attempt) % this.conns.length;
        if (await this.conns[i]!.waitSettled(this.dialDeadline(deadlineMs))) {
          this.current = i;
          return this.conns[i]!;
        }
      }
      const now = Date.now();
      if (deadlineMs === undefined ? round + 1 >= MAX_UNARY_ROUNDS : now >= deadlineMs) break;
      await sleep(ROUND_BACKOFF_MS);
    }
    const conn = this.conns[this.current]!;
    if (deadlineMs !== undefined) throw new ClientError(GrpcStatus.DEADLINE_EXCEEDED, DEADLINE_TEXT, conn.endpoint.address);
    throw new ClientError(GrpcStatus.UNAVAILABLE, 'etcdclient: no available endpoints', conn.endpoint.address);
  }

  /**
   * Waits until some endpoint is connected, as clientv3's blocking dial does; callers that
   * time requests (check perf) keep the connection setup out of the first request.
   */
  async connect(timeoutMs: number): Promise<void> {
    await this.readyConnection(Date.now() + timeoutMs);
  }

  /** Opens a bidirectional stream on a live endpoint (watch, lease keep-alive). */
  async openBidi<Req, Res>(def: MethodDef<Req, Res>, opts?: CallOptions): Promise<{ stream: ClientDuplexStream<Req, Res>; endpoint: string }> {
    const deadlineMs = this.deadlineOf(opts);
    const conn = await this.readyConnection(deadlineMs);
    const md = await this.metadata(conn, deadlineMs);
    return { stream: conn.bidiStream(def, md), endpoint: conn.endpoint.address };
  }

  /** Opens a server stream on a live endpoint (snapshot, election observe). */
  async openServerStream<Req, Res>(def: MethodDef<Req, Res>, req: Req, opts?: CallOptions): Promise<{ stream: ClientReadableStream<Res>; endpoint: string }> {
    const deadlineMs = this.deadlineOf(opts);
    const conn = await this.readyConnection(deadlineMs);
    const md = await this.metadata(conn, deadlineMs);
    return { stream: conn.serverStream(def, req, md), endpoint: conn.endpoint.address };
  }
}
