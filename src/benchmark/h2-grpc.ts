// A lean gRPC client on node:http2 for the benchmark's hot paths. One HTTP/2 session per
// connection carries many concurrent streams; each call frames its pre-encoded request with
// gRPC's 5-byte prefix and hands back the undecoded response bytes. There are no interceptors,
// metadata objects, retry/resolver layers or per-call option objects: profiling showed that
// grpc-js's per-call machinery, not the server, bounded the tool's throughput.

import http2 from 'node:http2';
import { EventEmitter } from 'node:events';
import { GRPC_CODE_NAMES, ClientError } from '../client/errors.js';

const {
  HTTP2_HEADER_METHOD,
  HTTP2_HEADER_PATH,
  HTTP2_HEADER_SCHEME,
  HTTP2_HEADER_AUTHORITY,
  HTTP2_HEADER_CONTENT_TYPE,
  HTTP2_HEADER_TE,
  HTTP2_HEADER_STATUS,
  NGHTTP2_CANCEL,
} = http2.constants;

/** The etcd RPCs the benchmark calls. */
export const METHODS = {
  put: '/etcdserverpb.KV/Put',
  range: '/etcdserverpb.KV/Range',
  txn: '/etcdserverpb.KV/Txn',
  leaseGrant: '/etcdserverpb.Lease/LeaseGrant',
  leaseKeepAlive: '/etcdserverpb.Lease/LeaseKeepAlive',
  watch: '/etcdserverpb.Watch/Watch',
  status: '/etcdserverpb.Maintenance/Status',
} as const;

/** gRPC status codes the client itself reports (grpc's own numbering). */
export const Code = { Canceled: 1, Unknown: 2, DeadlineExceeded: 4, Internal: 13, Unavailable: 14 } as const;

/** A failed call: the gRPC status code and its details, worded as etcd's clientv3 shows them. */
export class GrpcCallError extends ClientError {}

/** Wraps a request message in gRPC's length prefix: 1 byte "compressed" flag + 4 bytes big-endian length. */
export function frameMessage(msg: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + msg.length);
  out[0] = 0;
  out.writeUInt32BE(msg.length, 1);
  out.set(msg, 5);
  return out;
}

/**
 * Splits a byte stream into gRPC messages. Chunks may cut messages anywhere, including inside
 * the prefix; a message that arrives whole in one chunk is handed out without copying.
 */
export class MessageReader {
  private pending: Buffer[] = [];
  private pendingLen = 0;

  /** Feeds one chunk; calls onMessage for every complete message. Throws on a compressed message. */
  push(chunk: Buffer, onMessage: (msg: Buffer) => void): void {
    let buf = chunk;
    if (this.pendingLen > 0) {
      this.pending.push(chunk);
      buf = Buffer.concat(this.pending, this.pendingLen + chunk.length);
      this.pending = [];
      this.pendingLen = 0;
    }
    let pos = 0;
    while (buf.length - pos >= 5) {
      if (buf[pos] !== 0) throw new GrpcCallError(Code.Internal, 'compressed gRPC messages are not supported by the benchmark client');
      const len = buf.readUInt32BE(pos + 1);
      if (buf.length - pos - 5 < len) break;
      onMessage(buf.subarray(pos + 5, pos + 5 + len));
      pos += 5 + len;
    }
    if (pos < buf.length) {
      const rest = buf.subarray(pos);
      this.pending.push(rest);
      this.pendingLen = rest.length;
    }
  }

  /** True when a partial message is still waiting for bytes. */
  get hasPartial(): boolean {
    return this.pendingLen > 0;
  }
}

/** grpc-message is percent-encoded on the wire. */
function decodeGrpcMessage(raw: unknown): string {
  if (typeof raw !== 'string' || raw === '') return '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The call's outcome from response headers or trailers; null when they carry no grpc-status. */
function statusFrom(headers: http2.IncomingHttpHeaders): GrpcCallError | null | undefined {
  const raw = headers['grpc-status'];
  if (raw === undefined) return undefined;
  const code = Number(raw);
  if (code === 0) return null;
  return new GrpcCallError(Number.isInteger(code) ? code : Code.Unknown, decodeGrpcMessage(headers['grpc-message']));
}

/** Error text the way etcd's benchmark counts errors: clientv3's err.Error(). */
export function errorText(err: unknown): string {
  if (err instanceof ClientError) return err.userText;
  const e = err as { code?: unknown; details?: unknown; message?: unknown };
  if (typeof e?.code === 'number') {
    return `rpc error: code = ${GRPC_CODE_NAMES[e.code] ?? e.code} desc = ${String(e.details ?? e.message ?? '')}`;
  }
  return String((err as Error)?.message ?? err);
}

export type UnaryCallback = (err: GrpcCallError | null, res?: Buffer) => void;

/** One HTTP/2 connection to one endpoint (one of etcd's --conns). */
export class H2Conn {
  private readonly session: http2.ClientHttp2Session;
  private readonly headersFor = new Map<string, http2.OutgoingHttpHeaders>();
  private closedError: GrpcCallError | null = null;
  readonly connected: Promise<void>;

  constructor(readonly endpoint: string) {
    this.session = http2.connect(`http://${endpoint}`, {
      // Many streams in flight on one session: a large window keeps flow control out of the way.
      settings: { initialWindowSize: 16 * 1024 * 1024, enablePush: false },
      peerMaxConcurrentStreams: 1 << 30,
    });
    this.connected = new Promise((resolve, reject) => {
      this.session.once('connect', () => {
        this.session.setLocalWindowSize(64 * 1024 * 1024);
        resolve();
      });
      this.session.once('error', (err) => reject(new GrpcCallError(Code.Unavailable, `connection error: ${err.message}`)));
    });
    // A failed session fails its calls through their streams; keep the error from being unhandled.
    this.session.on('error', (err) => (this.closedError = new GrpcCallError(Code.Unavailable, `connection error: ${err.message}`)));
    this.session.on('close', () => (this.closedError ??= new GrpcCallError(Code.Unavailable, 'connection closed')));
    this.session.on('goaway', () => (this.closedError ??= new GrpcCallError(Code.Unavailable, 'connection closed by server (GOAWAY)')));
  }

  /** Waits for the connection, failing after timeoutMs (0 = 30s, like the dial timeout default). */
  async waitConnected(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const ms = timeoutMs > 0 ? timeoutMs : 30_000;
    try {
      await Promise.race([
        this.connected,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new GrpcCallError(Code.DeadlineExceeded, `dial ${this.endpoint}: timed out after ${ms}ms`)), ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The request headers for a method, built once and reused for every call. */
  private headers(method: string): http2.OutgoingHttpHeaders {
    let h = this.headersFor.get(method);
    if (!h) {
      h = {
        [HTTP2_HEADER_METHOD]: 'POST',
        [HTTP2_HEADER_SCHEME]: 'http',
        [HTTP2_HEADER_AUTHORITY]: this.endpoint,
        [HTTP2_HEADER_PATH]: method,
        [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
        [HTTP2_HEADER_TE]: 'trailers',
      };
      this.headersFor.set(method, h);
    }
    return h;
  }

  private open(method: string): http2.ClientHttp2Stream | GrpcCallError {
    if (this.closedError || this.session.closed || this.session.destroyed) {
      return this.closedError ?? new GrpcCallError(Code.Unavailable, 'connection closed');
    }
    try {
      return this.session.request(this.headers(method));
    } catch (err) {
      return new GrpcCallError(Code.Unavailable, `cannot start call: ${(err as Error).message}`);
    }
  }

  /** One request message, one response message. The callback runs exactly once. */
  unary(method: string, req: Uint8Array, cb: UnaryCallback): void {
    const stream = this.open(method);
    if (stream instanceof GrpcCallError) {
      process.nextTick(cb, stream);
      return;
    }
    let res: Buffer | undefined;
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    let outcome: GrpcCallError | null | undefined;
    let httpStatus = 0;
    stream.on('response', (headers) => {
      httpStatus = Number(headers[HTTP2_HEADER_STATUS]);
      // A trailers-only response (how servers answer errors) carries grpc-status here.
      const s = statusFrom(headers);
      if (s !== undefined) outcome = s;
    });
    stream.on('data', (chunk: Buffer) => {
      if (first === undefined) first = chunk;
      else (more ??= [first]).push(chunk);
    });
    stream.on('trailers', (trailers) => {
      const s = statusFrom(trailers);
      if (s !== undefined) outcome = s;
    });
    stream.on('error', () => {
      // Reported from 'close' below, where the stream's final state is known.
    });
    stream.on('close', () => {
      if (outcome === undefined) {
        if (httpStatus !== 0 && httpStatus !== 200) return cb(new GrpcCallError(Code.Unknown, `unexpected HTTP status code received from server: ${httpStatus}`));
        const why = this.closedError?.message ?? `stream closed with RST_STREAM code ${stream.rstCode ?? 0}`;
        return cb(new GrpcCallError(Code.Unavailable, why));
      }
      if (outcome !== null) return cb(outcome);
      const body = more ? Buffer.concat(more) : first;
      if (!body || body.length < 5) return cb(new GrpcCallError(Code.Internal, 'server sent no response message'));
      if (body[0] !== 0) return cb(new GrpcCallError(Code.Internal, 'compressed gRPC messages are not supported by the benchmark client'));
      const len = body.readUInt32BE(1);
      if (body.length !== 5 + len) return cb(new GrpcCallError(Code.Internal, `response message of ${body.length - 5} bytes, prefix says ${len}`));
      res = body.subarray(5);
      cb(null, res);
    });
    stream.end(frameMessage(req));
  }

  unaryP(method: string, req: Uint8Array): Promise<Buffer> {
    return new Promise((resolve, reject) => this.unary(method, req, (err, res) => (err ? reject(err) : resolve(res!))));
  }

  /** A bidirectional stream; see BidiCall for its events. */
  bidi(method: string): BidiCall {
    return new BidiCall(this.open(method));
  }

  close(): void {
    this.session.close();
  }

  /** Tears the connection down now, failing calls in flight. */
  destroy(): void {
    this.session.destroy();
  }
}

/**
 * A streaming call. Emits 'data' (one undecoded response message), then exactly one of
 * 'error' (GrpcCallError) or 'end' (server finished with OK), unless cancel() was called first.
 * write() frames and sends a request.
 */
export class BidiCall extends EventEmitter {
  private readonly stream: http2.ClientHttp2Stream | null;
  private readonly reader = new MessageReader();
  private outcome: GrpcCallError | null | undefined;
  private settled = false;

  constructor(stream: http2.ClientHttp2Stream | GrpcCallError) {
    super();
    if (stream instanceof GrpcCallError) {
      this.stream = null;
      process.nextTick(() => this.settle(stream));
      return;
    }
    this.stream = stream;
    stream.on('response', (headers) => {
      const s = statusFrom(headers);
      if (s !== undefined) this.outcome = s;
    });
    stream.on('data', (chunk: Buffer) => {
      try {
        this.reader.push(chunk, (msg) => this.emit('data', msg));
      } catch (err) {
        this.settle(err as GrpcCallError);
        stream.close(NGHTTP2_CANCEL);
      }
    });
    stream.on('trailers', (trailers) => {
      const s = statusFrom(trailers);
      if (s !== undefined) this.outcome = s;
    });
    stream.on('error', () => {
      // Reported from 'close'.
    });
    stream.on('close', () => {
      if (this.outcome === undefined) return this.settle(new GrpcCallError(Code.Unavailable, `stream closed with RST_STREAM code ${stream.rstCode ?? 0}`));
      this.settle(this.outcome);
    });
  }

  private settle(outcome: GrpcCallError | null): void {
    if (this.settled) return;
    this.settled = true;
    if (outcome) this.emit('error', outcome);
    else this.emit('end');
  }

  write(msg: Uint8Array): void {
    this.stream?.write(frameMessage(msg));
  }

  /** Half-closes the sending side; the server may still answer. */
  end(): void {
    this.stream?.end();
  }

  /** Abandons the call (RST_STREAM CANCEL); it settles with code Canceled. */
  cancel(): void {
    if (!this.stream || this.settled) return;
    // The caller asked for the end: settle silently, as nothing is left to report.
    this.settled = true;
    this.stream.close(NGHTTP2_CANCEL);
  }
}
