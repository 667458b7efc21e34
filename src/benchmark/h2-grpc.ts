// A lean gRPC client for the benchmark's hot paths, on the tool's own HTTP/2 connection
// (h2-session.ts). One connection carries many concurrent streams; each call frames its
// pre-encoded request with gRPC's 5-byte prefix and hands back the undecoded response bytes.
// There are no interceptors, metadata objects, retry/resolver layers or per-call option
// objects: profiling showed that grpc-js's per-call machinery (and then node:http2's stream
// objects), not the server, bounded the tool's throughput.

import { EventEmitter } from 'node:events';
import { GRPC_CODE_NAMES, ClientError } from '../client/errors.js';
import { H2Error, H2Session, type StreamHandler } from './h2-session.js';
import { encodeHeaderBlock } from '../pkg/hpack.js';

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

/**
 * Reads a response header block: the HTTP status, and the call's outcome when the block
 * carries grpc-status (trailers, or a trailers-only error response).
 */
function readHeaders(fields: [string, string][]): { httpStatus: string | undefined; outcome: GrpcCallError | null | undefined } {
  let httpStatus: string | undefined;
  let grpcStatus: string | undefined;
  let grpcMessage = '';
  for (const [name, value] of fields) {
    if (name === ':status') httpStatus = value;
    else if (name === 'grpc-status') grpcStatus = value;
    else if (name === 'grpc-message') grpcMessage = value;
  }
  if (grpcStatus === undefined) return { httpStatus, outcome: undefined };
  const code = Number(grpcStatus);
  if (code === 0) return { httpStatus, outcome: null };
  return { httpStatus, outcome: new GrpcCallError(Number.isInteger(code) ? code : Code.Unknown, decodeGrpcMessage(grpcMessage)) };
}

/** How gRPC clients report a stream the HTTP/2 layer ended (grpc-go's mapping of RST_STREAM codes). */
function resetError(h2Code: number, reason: string): GrpcCallError {
  if (h2Code === H2Error.CANCEL) return new GrpcCallError(Code.Canceled, reason);
  if (h2Code === H2Error.REFUSED_STREAM) return new GrpcCallError(Code.Unavailable, reason);
  return new GrpcCallError(Code.Internal, reason);
}

/** HTTP status other than 200 on a gRPC response, worded as grpc-go words it. */
function httpStatusError(status: string): GrpcCallError {
  return new GrpcCallError(Code.Unknown, `unexpected HTTP status code received from server: ${status}`);
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

/** A unary call in flight: collects the response message and settles the callback once. */
class UnaryCall implements StreamHandler {
  private first: Buffer | undefined;
  private more: Buffer[] | undefined;
  private outcome: GrpcCallError | null | undefined;
  private httpError: GrpcCallError | null = null;

  constructor(private readonly cb: UnaryCallback) {}

  headers(fields: [string, string][], endStream: boolean): void {
    const h = readHeaders(fields);
    if (h.httpStatus !== undefined && h.httpStatus !== '200') this.httpError = httpStatusError(h.httpStatus);
    if (h.outcome !== undefined) this.outcome = h.outcome;
    if (endStream) this.finish();
  }

  data(chunk: Buffer, endStream: boolean): void {
    if (chunk.length > 0) {
      if (this.first === undefined) this.first = chunk;
      else (this.more ??= [this.first]).push(chunk);
    }
    // A server must end a gRPC call with trailers; END_STREAM on DATA means they are missing.
    if (endStream) this.finish();
  }

  reset(h2Code: number, reason: string): void {
    this.cb(resetError(h2Code, reason));
  }

  private finish(): void {
    if (this.httpError) return this.cb(this.httpError);
    if (this.outcome === undefined) return this.cb(new GrpcCallError(Code.Internal, 'server closed the stream without sending trailers'));
    if (this.outcome !== null) return this.cb(this.outcome);
    const body = this.more ? Buffer.concat(this.more) : this.first;
    if (!body || body.length < 5) return this.cb(new GrpcCallError(Code.Internal, 'server sent no response message'));
    if (body[0] !== 0) return this.cb(new GrpcCallError(Code.Internal, 'compressed gRPC messages are not supported by the benchmark client'));
    const len = body.readUInt32BE(1);
    if (body.length !== 5 + len) return this.cb(new GrpcCallError(Code.Internal, `response message of ${body.length - 5} bytes, prefix says ${len}`));
    this.cb(null, body.subarray(5));
  }
}

/** One HTTP/2 connection to one endpoint ("host:port"): one of etcd's --conns. */
export class H2Conn {
  private readonly session: H2Session;
  private readonly blocks = new Map<string, Buffer>();

  constructor(readonly endpoint: string) {
    const colon = endpoint.lastIndexOf(':');
    const host = endpoint.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    this.session = new H2Session(host, Number(endpoint.slice(colon + 1)));
  }

  /** Waits for the server's SETTINGS, failing after timeoutMs (0 = 30s). */
  async waitConnected(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const ms = timeoutMs > 0 ? timeoutMs : 30_000;
    try {
      await Promise.race([
        this.session.ready.catch((err: Error) => {
          throw new GrpcCallError(Code.Unavailable, err.message);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new GrpcCallError(Code.DeadlineExceeded, `dial ${this.endpoint}: timed out after ${ms}ms`)), ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The request header block for a method, encoded once and reused for every call. */
  private headerBlock(method: string): Buffer {
    let b = this.blocks.get(method);
    if (!b) {
      b = encodeHeaderBlock([
        [':method', 'POST'],
        [':scheme', 'http'],
        [':path', method],
        [':authority', this.endpoint],
        ['content-type', 'application/grpc'],
        ['te', 'trailers'],
      ]);
      this.blocks.set(method, b);
    }
    return b;
  }

  /** One request message, one response message. The callback runs exactly once. */
  unary(method: string, req: Uint8Array, cb: UnaryCallback): void {
    this.session.open(this.headerBlock(method), frameMessage(req), true, new UnaryCall(cb));
  }

  unaryP(method: string, req: Uint8Array): Promise<Buffer> {
    return new Promise((resolve, reject) => this.unary(method, req, (err, res) => (err ? reject(err) : resolve(res!))));
  }

  /** A bidirectional stream; see BidiCall for its events. */
  bidi(method: string): BidiCall {
    const call = new BidiCall(this.session);
    this.session.open(this.headerBlock(method), null, false, call, (id) => call.opened(id));
    return call;
  }

  /** Sends GOAWAY and closes; calls still in flight fail. */
  close(): void {
    this.session.close();
  }

  /** Drops the connection at once; calls still in flight fail. */
  destroy(): void {
    this.session.destroy();
  }
}

/**
 * A streaming call. Emits 'data' (one undecoded response message), then exactly one of
 * 'error' (GrpcCallError) or 'end' (server finished with OK), unless cancel() was called first.
 * write() frames and sends a request message.
 */
export class BidiCall extends EventEmitter implements StreamHandler {
  private readonly reader = new MessageReader();
  private id = 0;
  /** Messages written before the stream had an id (the peer's stream limit was reached). */
  private early: { payload: Buffer; end: boolean }[] | null = [];
  private outcome: GrpcCallError | null | undefined;
  private httpError: GrpcCallError | null = null;
  private settled = false;

  constructor(private readonly session: H2Session) {
    super();
  }

  /** Called by the session once the stream exists. */
  opened(id: number): void {
    this.id = id;
    // Cancelled (or failed) while waiting for a stream slot: nothing to send.
    if (this.settled) return this.session.resetStream(id, H2Error.CANCEL);
    const early = this.early ?? [];
    this.early = null;
    for (const m of early) this.session.write(id, m.payload, m.end);
  }

  headers(fields: [string, string][], endStream: boolean): void {
    const h = readHeaders(fields);
    if (h.httpStatus !== undefined && h.httpStatus !== '200') this.httpError = httpStatusError(h.httpStatus);
    if (h.outcome !== undefined) this.outcome = h.outcome;
    if (endStream) this.finish();
  }

  data(chunk: Buffer, endStream: boolean): void {
    if (!this.settled) {
      try {
        this.reader.push(chunk, (msg) => this.emit('data', msg));
      } catch (err) {
        this.settle(err as GrpcCallError);
        this.session.resetStream(this.id, H2Error.CANCEL);
        return;
      }
    }
    if (endStream) this.finish();
  }

  reset(h2Code: number, reason: string): void {
    this.settle(resetError(h2Code, reason));
  }

  private finish(): void {
    if (this.httpError) return this.settle(this.httpError);
    if (this.outcome === undefined) return this.settle(new GrpcCallError(Code.Internal, 'server closed the stream without sending trailers'));
    this.settle(this.outcome);
  }

  private settle(outcome: GrpcCallError | null): void {
    if (this.settled) return;
    this.settled = true;
    if (outcome) this.emit('error', outcome);
    else this.emit('end');
  }

  private send(payload: Buffer, end: boolean): void {
    if (this.settled) return;
    if (this.early) this.early.push({ payload, end });
    else this.session.write(this.id, payload, end);
  }

  write(msg: Uint8Array): void {
    this.send(frameMessage(msg), false);
  }

  /** Half-closes the sending side; the server may still answer. */
  end(): void {
    this.send(Buffer.alloc(0), true);
  }

  /** Abandons the call (RST_STREAM CANCEL) without reporting anything more. */
  cancel(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.early) this.early = [];
    else this.session.resetStream(this.id, H2Error.CANCEL);
  }
}
