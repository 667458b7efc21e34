// A minimal HTTP/2 client connection (RFC 9113) over a plain TCP socket, for the benchmark.
// node:http2 makes a Duplex stream object, header objects and several events per request; at
// tens of thousands of requests a second that cost, not the server, bounded the tool. Here a
// stream is a table entry and a request is two frames written with the others of its tick.
//
// Covered: preface and SETTINGS, HEADERS(+CONTINUATION), DATA, RST_STREAM, PING, GOAWAY,
// WINDOW_UPDATE, flow control both ways, the peer's concurrent-stream limit. Not needed by a
// gRPC client and not covered: push (disabled), priorities (ignored), TLS.

import net from 'node:net';
import { HpackDecoder, HpackError } from '../pkg/hpack.js';
import { CONNECTION_PREFACE, Flag, FrameType, frame, writeFrameHeader } from '../pkg/h2-frame.js';
import { ChurnMap } from '../pkg/churn-map.js';


export const Setting = { HEADER_TABLE_SIZE: 1, ENABLE_PUSH: 2, MAX_CONCURRENT_STREAMS: 3, INITIAL_WINDOW_SIZE: 4, MAX_FRAME_SIZE: 5 } as const;
/** HTTP/2 error codes this client sends or interprets. */
export const H2Error = { NO_ERROR: 0, PROTOCOL_ERROR: 1, FLOW_CONTROL_ERROR: 3, FRAME_SIZE_ERROR: 6, REFUSED_STREAM: 7, CANCEL: 8, COMPRESSION_ERROR: 9 } as const;

/** Our receive windows: large, so the server never waits for us; topped up as data is read. */
const RECV_WINDOW = 0x7fffffff;
const RECV_TOPUP = 1 << 30;
const DEFAULT_WINDOW = 65535;

/** What a stream's owner is told. Exactly one of end/reset ends a stream. */
export interface StreamHandler {
  /** A complete header block (response headers or trailers) decoded into onField calls. */
  headers(fields: [string, string][], endStream: boolean): void;
  data(chunk: Buffer, endStream: boolean): void;
  /** The stream was reset by the peer, refused by GOAWAY, or the connection died. */
  reset(h2Code: number, reason: string): void;
}

interface StreamState {
  handler: StreamHandler;
  sendWindow: number;
  /** Bytes received since the last stream WINDOW_UPDATE. */
  received: number;
  /** DATA waiting for send window: payload and whether it ends the stream. */
  queued: { payload: Buffer; end: boolean }[];
}

interface PendingOpen {
  headerBlock: Buffer;
  body: Buffer | null;
  endStream: boolean;
  handler: StreamHandler;
  onId: (id: number) => void;
}

export class H2Session {
  private readonly socket: net.Socket;
  private readonly decoder = new HpackDecoder();
  /** Open streams; a ChurnMap, as each holds a request in flight (see churn-map.ts). */
  private readonly streams = new ChurnMap<number, StreamState>();
  private nextId = 1;
  private inbuf: Buffer | null = null;
  private out: Buffer[] = [];
  private flushScheduled = false;
  /** Set while a HEADERS block continues in CONTINUATION frames. */
  private continuing: { streamId: number; endStream: boolean; parts: Buffer[] } | null = null;

  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = 16384;
  private peerMaxStreams = Infinity;
  private connSendWindow = DEFAULT_WINDOW;
  private connReceived = 0;
  /** Streams with DATA waiting for window, in the order they queued. */
  private blocked = new Set<number>();
  private pendingOpens: PendingOpen[] = [];

  private failure: string | null = null;
  private goawayLastId = Infinity;
  readonly ready: Promise<void>;
  private onReady!: () => void;
  private onNotReady!: (err: Error) => void;

  constructor(host: string, port: number) {
    this.ready = new Promise((resolve, reject) => {
      this.onReady = resolve;
      this.onNotReady = reject;
    });
    this.ready.catch(() => {});
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('connect', () => {
      const settings = Buffer.alloc(12);
      settings.writeUInt16BE(Setting.ENABLE_PUSH, 0);
      settings.writeUInt32BE(0, 2);
      settings.writeUInt16BE(Setting.INITIAL_WINDOW_SIZE, 6);
      settings.writeUInt32BE(RECV_WINDOW, 8);
      const wu = Buffer.alloc(4);
      wu.writeUInt32BE(RECV_WINDOW - DEFAULT_WINDOW, 0);
      this.socket.write(Buffer.concat([CONNECTION_PREFACE, frame(FrameType.SETTINGS, 0, 0, settings), frame(FrameType.WINDOW_UPDATE, 0, 0, wu)]));
    });
    this.socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    this.socket.on('error', (err) => this.fail(`connection error: ${err.message}`));
    this.socket.on('close', () => this.fail('connection closed'));
  }

  /** Why the connection can carry no more streams, or null while it can. */
  get closedReason(): string | null {
    return this.failure ?? (this.goawayLastId !== Infinity ? 'connection closed by server (GOAWAY)' : null);
  }

  get activeStreams(): number {
    return this.streams.size;
  }

  /**
   * Starts a stream: HEADERS with headerBlock, then body as DATA (if any). onId receives the
   * stream id once the stream is opened (at once unless the peer's stream limit is reached).
   */
  open(headerBlock: Buffer, body: Buffer | null, endStream: boolean, handler: StreamHandler, onId: (id: number) => void = () => {}): void {
    const reason = this.closedReason;
    if (reason) {
      const h = handler;
      process.nextTick(() => h.reset(H2Error.REFUSED_STREAM, reason));
      return;
    }
    if (this.streams.size >= this.peerMaxStreams) {
      this.pendingOpens.push({ headerBlock, body, endStream, handler, onId });
      return;
    }
    const id = this.nextId;
    this.nextId += 2;
    const st: StreamState = { handler, sendWindow: this.peerInitialWindow, received: 0, queued: [] };
    this.streams.set(id, st);
    const noBody = body === null;
    const headersFrame = Buffer.allocUnsafe(9 + headerBlock.length);
    // Header blocks here are small precomputed literals: they always fit one frame.
    writeFrameHeader(headersFrame, 0, headerBlock.length, FrameType.HEADERS, Flag.END_HEADERS | (noBody && endStream ? Flag.END_STREAM : 0), id);
    headerBlock.copy(headersFrame, 9);
    this.push(headersFrame);
    if (!noBody) this.sendData(id, st, body, endStream);
    onId(id);
  }

  /** Sends DATA on an open stream, respecting both send windows. */
  write(streamId: number, payload: Buffer, endStream: boolean): void {
    const st = this.streams.get(streamId);
    if (!st) return;
    this.sendData(streamId, st, payload, endStream);
  }

  /** Abandons a stream: RST_STREAM with code, and forget it (its handler hears nothing more). */
  resetStream(streamId: number, code: number): void {
    if (!this.streams.delete(streamId)) return;
    this.blocked.delete(streamId);
    const p = Buffer.alloc(4);
    p.writeUInt32BE(code, 0);
    this.push(frame(FrameType.RST_STREAM, 0, streamId, p));
    this.openPending();
  }

  /** Graceful: GOAWAY, then the socket ends once written. */
  close(): void {
    if (this.failure) return;
    const p = Buffer.alloc(8);
    p.writeUInt32BE(0, 0);
    p.writeUInt32BE(H2Error.NO_ERROR, 4);
    this.push(frame(FrameType.GOAWAY, 0, 0, p));
    this.flush();
    this.socket.end();
    this.fail('connection closed');
  }

  destroy(): void {
    this.socket.destroy();
    this.fail('connection closed');
  }

  // --- sending -------------------------------------------------------------------------

  private push(buf: Buffer): void {
    this.out.push(buf);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  /** Writes everything queued this tick in one socket write. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.out.length === 0 || this.socket.destroyed) {
      this.out = [];
      return;
    }
    const bufs = this.out;
    this.out = [];
    this.socket.write(bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs));
  }

  private sendData(id: number, st: StreamState, payload: Buffer, end: boolean): void {
    if (st.queued.length > 0) {
      st.queued.push({ payload, end });
      return;
    }
    const rest = this.sendAllowed(id, st, payload, end);
    if (rest) {
      st.queued.push(rest);
      this.blocked.add(id);
    }
  }

  /** Sends as much of payload as the windows allow; returns what is left, or null. */
  private sendAllowed(id: number, st: StreamState, payload: Buffer, end: boolean): { payload: Buffer; end: boolean } | null {
    let pos = 0;
    do {
      const n = Math.min(payload.length - pos, this.peerMaxFrame, st.sendWindow, this.connSendWindow);
      if (n <= 0 && payload.length - pos > 0) return { payload: payload.subarray(pos), end };
      const last = pos + n === payload.length;
      const f = Buffer.allocUnsafe(9 + n);
      writeFrameHeader(f, 0, n, FrameType.DATA, last && end ? Flag.END_STREAM : 0, id);
      payload.copy(f, 9, pos, pos + n);
      this.push(f);
      st.sendWindow -= n;
      this.connSendWindow -= n;
      pos += n;
    } while (pos < payload.length);
    return null;
  }

  private drainBlocked(): void {
    for (const id of this.blocked) {
      const st = this.streams.get(id);
      if (!st) {
        this.blocked.delete(id);
        continue;
      }
      while (st.queued.length > 0) {
        const q = st.queued[0]!;
        const rest = this.sendAllowed(id, st, q.payload, q.end);
        if (rest) {
          st.queued[0] = rest;
          break;
        }
        st.queued.shift();
      }
      if (st.queued.length === 0) this.blocked.delete(id);
      if (this.connSendWindow <= 0) return;
    }
  }

  private openPending(): void {
    while (this.pendingOpens.length > 0 && this.streams.size < this.peerMaxStreams && !this.closedReason) {
      const p = this.pendingOpens.shift()!;
      this.open(p.headerBlock, p.body, p.endStream, p.handler, p.onId);
    }
  }

  // --- receiving -----------------------------------------------------------------------

  private onBytes(chunk: Buffer): void {
    let buf = this.inbuf ? Buffer.concat([this.inbuf, chunk]) : chunk;
    this.inbuf = null;
    let pos = 0;
    try {
      while (buf.length - pos >= 9) {
        const len = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
        if (buf.length - pos - 9 < len) break;
        const type = buf[pos + 3]!;
        const flags = buf[pos + 4]!;
        const streamId = buf.readUInt32BE(pos + 5) & 0x7fffffff;
        const payload = buf.subarray(pos + 9, pos + 9 + len);
        pos += 9 + len;
        this.onFrame(type, flags, streamId, payload);
        if (this.failure) return;
      }
    } catch (err) {
      const code = err instanceof HpackError ? H2Error.COMPRESSION_ERROR : H2Error.PROTOCOL_ERROR;
      this.goAway(code, (err as Error).message);
      return;
    }
    if (pos < buf.length) this.inbuf = buf.subarray(pos);
  }

  private onFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.continuing && type !== FrameType.CONTINUATION) throw new Error('expected CONTINUATION frame');
    switch (type) {
      case FrameType.DATA:
        return this.onData(flags, streamId, payload);
      case FrameType.HEADERS: {
        let p = payload;
        if (flags & Flag.PADDED) p = p.subarray(1, p.length - payload[0]!);
        if (flags & Flag.PRIORITY) p = p.subarray(5);
        if (flags & Flag.END_HEADERS) return this.onHeaderBlock(streamId, p, (flags & Flag.END_STREAM) !== 0);
        this.continuing = { streamId, endStream: (flags & Flag.END_STREAM) !== 0, parts: [Buffer.from(p)] };
        return;
      }
      case FrameType.CONTINUATION: {
        const c = this.continuing;
        if (!c || c.streamId !== streamId) throw new Error('unexpected CONTINUATION frame');
        c.parts.push(Buffer.from(payload));
        if (flags & Flag.END_HEADERS) {
          this.continuing = null;
          this.onHeaderBlock(streamId, Buffer.concat(c.parts), c.endStream);
        }
        return;
      }
      case FrameType.RST_STREAM: {
        const st = this.streams.get(streamId);
        if (!st) return;
        this.forget(streamId);
        st.handler.reset(payload.readUInt32BE(0), `stream reset by server with code ${payload.readUInt32BE(0)}`);
        return;
      }
      case FrameType.SETTINGS:
        if (flags & Flag.ACK) return;
        this.onSettings(payload);
        this.push(frame(FrameType.SETTINGS, Flag.ACK, 0));
        this.onReady();
        return;
      case FrameType.PING:
        if (!(flags & Flag.ACK)) this.push(frame(FrameType.PING, Flag.ACK, 0, payload));
        return;
      case FrameType.GOAWAY:
        return this.onGoAway(payload);
      case FrameType.WINDOW_UPDATE: {
        const inc = payload.readUInt32BE(0) & 0x7fffffff;
        if (streamId === 0) this.connSendWindow += inc;
        else {
          const st = this.streams.get(streamId);
          if (st) st.sendWindow += inc;
        }
        if (this.blocked.size > 0) this.drainBlocked();
        return;
      }
      case FrameType.PUSH_PROMISE:
        throw new Error('PUSH_PROMISE received though push is disabled');
      default:
        // PRIORITY and unknown frame types are ignored, as the RFC requires for unknown ones.
        return;
    }
  }

  private onData(flags: number, streamId: number, payload: Buffer): void {
    let p = payload;
    if (flags & Flag.PADDED) p = p.subarray(1, p.length - payload[0]!);
    // Flow control counts the whole frame payload, padding included.
    this.connReceived += payload.length;
    if (this.connReceived >= RECV_TOPUP) {
      this.push(windowUpdate(0, this.connReceived));
      this.connReceived = 0;
    }
    const st = this.streams.get(streamId);
    if (!st) return;
    st.received += payload.length;
    const end = (flags & Flag.END_STREAM) !== 0;
    if (!end && st.received >= RECV_TOPUP) {
      this.push(windowUpdate(streamId, st.received));
      st.received = 0;
    }
    if (end) this.forget(streamId);
    st.handler.data(p, end);
  }

  private onHeaderBlock(streamId: number, block: Buffer, endStream: boolean): void {
    // Decode even for unknown streams: the block updates the connection's dynamic table.
    const fields: [string, string][] = [];
    this.decoder.decode(block, (n, v) => fields.push([n, v]));
    const st = this.streams.get(streamId);
    if (!st) return;
    if (endStream) this.forget(streamId);
    st.handler.headers(fields, endStream);
  }

  private onSettings(p: Buffer): void {
    for (let i = 0; i + 6 <= p.length; i += 6) {
      const id = p.readUInt16BE(i);
      const v = p.readUInt32BE(i + 2);
      if (id === Setting.INITIAL_WINDOW_SIZE) {
        const delta = v - this.peerInitialWindow;
        this.peerInitialWindow = v;
        for (const st of this.streams.values()) st.sendWindow += delta;
      } else if (id === Setting.MAX_FRAME_SIZE) this.peerMaxFrame = v;
      else if (id === Setting.MAX_CONCURRENT_STREAMS) this.peerMaxStreams = v;
    }
    if (this.blocked.size > 0) this.drainBlocked();
    this.openPending();
  }

  private onGoAway(p: Buffer): void {
    const lastId = p.readUInt32BE(0) & 0x7fffffff;
    const code = p.readUInt32BE(4);
    const debug = p.subarray(8).toString('utf8');
    this.goawayLastId = lastId;
    // Streams above lastId were never processed: they fail now. The rest may still finish.
    for (const [id, st] of [...this.streams]) {
      if (id > lastId) {
        this.forget(id);
        st.handler.reset(H2Error.REFUSED_STREAM, `connection closed by server (GOAWAY code ${code}${debug ? `: ${debug}` : ''})`);
      }
    }
    for (const p2 of this.pendingOpens.splice(0)) p2.handler.reset(H2Error.REFUSED_STREAM, 'connection closed by server (GOAWAY)');
  }

  private goAway(code: number, reason: string): void {
    const p = Buffer.alloc(8);
    p.writeUInt32BE(0, 0);
    p.writeUInt32BE(code, 4);
    this.push(frame(FrameType.GOAWAY, 0, 0, p));
    this.flush();
    this.socket.end();
    this.fail(`connection error: ${reason}`);
  }

  private forget(streamId: number): void {
    this.streams.delete(streamId);
    this.blocked.delete(streamId);
    if (this.pendingOpens.length > 0) this.openPending();
  }

  /** The connection is gone: every stream still open ends with a reset. */
  private fail(reason: string): void {
    if (this.failure) return;
    this.failure = reason;
    this.onNotReady(new Error(reason));
    const open = [...this.streams.values()];
    this.streams.clear();
    this.blocked.clear();
    for (const st of open) st.handler.reset(H2Error.REFUSED_STREAM, reason);
    for (const p of this.pendingOpens.splice(0)) p.handler.reset(H2Error.REFUSED_STREAM, reason);
  }
}

function windowUpdate(streamId: number, inc: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(inc, 0);
  return frame(FrameType.WINDOW_UPDATE, 0, streamId, p);
}
