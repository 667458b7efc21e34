// The client port's HTTP/2 connections pass through this stream on their way to node's
// HTTP/2 server (and grpc-js behind it). It reads the client's frames itself and serves the
// calls front-end-calls.ts takes (the unary calls, Watch and LeaseKeepAlive streams) without
// node ever seeing them: node's per-stream machinery (a JS stream object, its events,
// nghttp2's stream, the respond/trailers round trips) was about a third of a member's CPU on
// a small put. Everything else — other streaming calls, plain HTTP/2 requests, SETTINGS,
// PING, GOAWAY — goes on to node as before, which is how the two share one connection:
//
// - Header compression: every header block is decoded here, since the client's dynamic table
//   is shared by all of its streams. The blocks passed on are re-encoded without indexing
//   (node's decoder never needs a table entry), and :authority repaired on the way (see
//   h2-authority-filter.ts). Our replies use the static table and literals only, so they
//   leave the client's decoder table as node's encoder expects it.
// - Stream ids: node sees the streams it serves, in increasing order with gaps, which
//   HTTP/2 allows. Frames for a stream that is neither node's nor ours anymore are dropped.
// - Flow control: the connection window the client grants is shared. We replenish what our
//   streams consumed (node replenishes the rest), and deduct what our replies sent from the
//   increments passed on to node; as that deduction can lag, node's DATA is also held here
//   whenever it would exceed the window the client actually granted.
// - A GOAWAY node sends names the highest stream either side took, so a client never
//   retries a call we already served.

import { SocketStandIn } from './socket-stand-in.js';
import type net from 'node:net';
import type http2 from 'node:http2';
import { CONNECTION_PREFACE, FRAME_HEADER_LENGTH, FrameType, Flag, headersPayload, unpadded, windowUpdateFrame, writeFrameHeader, frame as encodeFrame } from '../pkg/h2-frame.js';
import { HpackDecoder, HpackError, encodeHeaderBlock } from '../pkg/hpack.js';
import { headerFrames, repairedAuthority } from './h2-authority-filter.js';
import { peerOf } from './unary-fast-call.js';
import { headerObject } from './h2-request-headers.js';
import { NodeOutput } from './h2-node-output.js';
import { ChurnMap } from '../pkg/churn-map.js';

/** A call the front end serves on a stream of its own. */
export interface OwnedCall {
  requestData(chunk: Buffer): void;
  /** The client ended its side (END_STREAM). */
  requestEnd(): void;
  /** The client reset the stream, or the connection went away. */
  streamReset(): void;
  /** The stream is over, both sides ended or reset (after streamReset). */
  onStreamClose(): void;
}

/** Decides, from a new stream's request headers, whether the front end serves it. */
export interface OwnedCallTaker {
  take(conn: H2FrontConnection, streamId: number, headers: http2.IncomingHttpHeaders): OwnedCall | undefined;
}

/** HTTP/2's initial flow-control window and smallest SETTINGS_MAX_FRAME_SIZE (RFC 9113 §6.5.2). */
const DEFAULT_WINDOW = 65_535;
const DEFAULT_MAX_FRAME = 16_384;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const SETTINGS_MAX_FRAME_SIZE = 0x5;
/**
 * Consumed bytes are given back to the client in WINDOW_UPDATEs of at least this much. With
 * nghttp2 giving back its share at half the window, the two never leave a client stalled.
 */
const REPLENISH_AT = 16_384;
const PROTOCOL_ERROR = 0x1;
const FRAME_SIZE_ERROR = 0x6;
const COMPRESSION_ERROR = 0x9;
/** The client's decoder table is bounded by what node advertised; we only follow its updates. */
const DECODER_TABLE_LIMIT = 1 << 24;

/** Our side of a stream we serve. */
class OwnedStream {
  remoteEnded = false;
  localEnded = false;
  /** Request bytes consumed and not yet given back in a stream WINDOW_UPDATE. */
  recvUnacked = 0;
  /** DATA waiting for flow-control window, in order, then the trailers that end the stream. */
  readonly queue: { data: Buffer; written: (() => void) | undefined }[] = [];
  trailers: Buffer | undefined;
  /** Called once the queue has gone out. */
  drained: (() => void)[] | undefined;

  constructor(
    readonly id: number,
    readonly call: OwnedCall,
    public sendWindow: number,
  ) {}
}

/** A header block being received: its HEADERS frame and any CONTINUATIONs. */
interface PendingBlock {
  streamId: number;
  flags: number;
  priority: Buffer | undefined;
  fragments: Buffer[];
}

/** What node's session has sent and the client has sent on one of node's streams. */
const CLIENT_ENDED = 1;
const NODE_ENDED = 2;

export class H2FrontConnection extends SocketStandIn {
  readonly peer: string;
  private readonly decoder = new HpackDecoder(DECODER_TABLE_LIMIT);
  /** Streams answered here; a ChurnMap since each holds a request in flight (see churn-map.ts). */
  private readonly owned = new ChurnMap<number, OwnedStream>();
  /** Node's streams, with which sides have ended. */
  private readonly nodeStreams = new Map<number, number>();
  private lastClientStream = 0;
  private highestOwned = 0;

  // Client -> server.
  private prefaceLeft = CONNECTION_PREFACE.length;
  private inbound: Buffer = Buffer.alloc(0);
  private block: PendingBlock | undefined;
  private readonly fields: string[] = [];
  private readonly onField = (name: string, value: string): void => {
    this.fields.push(name, value);
  };
  /** Connection-level bytes our streams (and dropped frames) consumed, not yet given back. */
  private connUnacked = 0;
  /** The stream window node advertised: what a client may send on a stream before an update. */
  private serverInitialWindow = DEFAULT_WINDOW;
  /** The largest frame node advertised it takes: a larger one is refused before it is buffered. */
  private serverMaxFrame = DEFAULT_MAX_FRAME;

  // Server -> client.
  /** The connection window the client granted, less every DATA byte sent (node's and ours). */
  private connSendWindow = DEFAULT_WINDOW;
  /** Our DATA bytes not yet deducted from the increments passed on to node. */
  private debt = 0;
  private clientInitialWindow = DEFAULT_WINDOW;
  private clientMaxFrame = DEFAULT_MAX_FRAME;
  /** Our streams whose replies wait for window, oldest first. */
  private readonly blocked: OwnedStream[] = [];
  private readonly nodeOutput = new NodeOutput({
    sendWindow: () => this.connSendWindow,
    spendWindow: (n) => {
      this.connSendWindow -= n;
    },
    goaway: (last) => {
      this.goingAway = true;
      return Math.max(last, this.highestOwned);
    },
    settings: (payload) => this.onNodeSettings(payload),
    streamEnded: (id, reset) => {
      if (reset) this.nodeStreams.delete(id);
      else this.nodeEnded(id, NODE_ENDED);
    },
    out: (bytes, written) => this.out(bytes, written),
  });
  /** Our frames made while node's output was mid-frame, in order. */
  private ownQueue: { bytes: Buffer; written: (() => void) | undefined }[] = [];
  private corked = false;
  /** Node's SETTINGS, the server's connection preface, has gone out: our frames may follow it. */
  private serverPrefaceSent = false;
  private finalDone: ((err?: Error | null) => void) | undefined;
  /** Node sent GOAWAY: streams opened after it are node's to refuse. */
  private goingAway = false;
  /** We ended the socket after a connection error: destroying must not cut our GOAWAY off. */
  private socketEnding = false;

  constructor(
    socket: net.Socket,
    private readonly taker: OwnedCallTaker,
    firstBytes?: Buffer,
  ) {
    super(socket);
    this.peer = peerOf(socket);
    socket.on('data', (chunk: Buffer) => this.fromClient(chunk));
    if (firstBytes !== undefined && firstBytes.length > 0) this.fromClient(firstBytes);
  }

  // ---- client -> server -------------------------------------------------------------

  private fromClient(chunk: Buffer): void {
    if (this.destroyed) return;
    const toNode: Buffer[] = [];
    let buf = this.inbound.length === 0 ? chunk : Buffer.concat([this.inbound, chunk]);
    if (this.prefaceLeft > 0) {
      const n = Math.min(this.prefaceLeft, buf.length);
      toNode.push(buf.subarray(0, n));
      buf = buf.subarray(n);
      this.prefaceLeft -= n;
    }
    let pos = 0;
    try {
      while (buf.length - pos >= FRAME_HEADER_LENGTH) {
        const length = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
        if (length > this.serverMaxFrame) {
          this.fail(FRAME_SIZE_ERROR);
          return;
        }
        if (buf.length - pos < FRAME_HEADER_LENGTH + length) break;
        this.onClientFrame(buf, pos, length, toNode);
        pos += FRAME_HEADER_LENGTH + length;
      }
    } catch (err) {
      this.fail(err instanceof HpackError ? COMPRESSION_ERROR : PROTOCOL_ERROR);
      return;
    }
    this.inbound = pos === buf.length ? Buffer.alloc(0) : buf.subarray(pos);
    this.giveBackWindow();
    if (toNode.length > 0 && !this.push(toNode.length === 1 ? toNode[0]! : Buffer.concat(toNode))) this.socket.pause();
  }

  private onClientFrame(buf: Buffer, pos: number, length: number, toNode: Buffer[]): void {
    const type = buf[pos + 3]!;
    const flags = buf[pos + 4]!;
    const id = buf.readUInt32BE(pos + 5) & 0x7fffffff;
    const whole = buf.subarray(pos, pos + FRAME_HEADER_LENGTH + length);
    const payload = whole.subarray(FRAME_HEADER_LENGTH);
    if (this.block !== undefined && type !== FrameType.CONTINUATION) throw new Error('HTTP/2: header block interrupted');
    switch (type) {
      case FrameType.HEADERS: {
        const { priority, fragment } = headersPayload(flags, payload);
        this.block = { streamId: id, flags, priority, fragments: [fragment] };
        if ((flags & Flag.END_HEADERS) !== 0) this.onBlock(this.takeBlock(), toNode);
        return;
      }
      case FrameType.CONTINUATION:
        if (this.block === undefined || this.block.streamId !== id) throw new Error('HTTP/2: unexpected CONTINUATION');
        this.block.fragments.push(payload);
        if ((flags & Flag.END_HEADERS) !== 0) this.onBlock(this.takeBlock(), toNode);
        return;
      case FrameType.DATA:
        this.onData(id, flags, payload, whole, toNode);
        return;
      case FrameType.WINDOW_UPDATE:
        this.onWindowUpdate(id, payload, whole, toNode);
        return;
      case FrameType.RST_STREAM: {
        const s = this.owned.get(id);
        if (s !== undefined) {
          s.call.streamReset();
          this.close(s);
          return;
        }
        if (this.isNodeOrIdle(id)) {
          this.nodeStreams.delete(id);
          toNode.push(whole);
        }
        return;
      }
      case FrameType.PRIORITY:
        if (this.isNodeOrIdle(id)) toNode.push(whole);
        return;
      case FrameType.SETTINGS:
        if ((flags & Flag.ACK) === 0) this.onClientSettings(payload);
        toNode.push(whole);
        return;
      default:
        // PING, GOAWAY, unknown types, and anything on stream 0: node's to judge.
        toNode.push(whole);
    }
  }

  /** Whether frames for `id` go to node: its streams, stream 0, even ids, and streams not opened yet. */
  private isNodeOrIdle(id: number): boolean {
    return this.nodeStreams.has(id) || id > this.lastClientStream || id % 2 === 0;
  }

  private takeBlock(): PendingBlock {
    const b = this.block!;
    this.block = undefined;
    return b;
  }

  private onBlock(block: PendingBlock, toNode: Buffer[]): void {
    const fields = this.fields;
    fields.length = 0;
    this.decoder.decode(block.fragments.length === 1 ? block.fragments[0]! : Buffer.concat(block.fragments), this.onField);
    const id = block.streamId;
    const endStream = (block.flags & Flag.END_STREAM) !== 0;
    const s = this.owned.get(id);
    if (s !== undefined) {
      // Trailers from the client on a call we serve: only their END_STREAM matters.
      if (endStream) this.remoteEnd(s);
      return;
    }
    if (!this.isNodeOrIdle(id)) return; // a stream that is over: nothing to answer
    if (id > this.lastClientStream && id % 2 === 1) {
      this.lastClientStream = id;
      if (!this.closing()) {
        const call = this.taker.take(this, id, headerObject(fields));
        if (call !== undefined) {
          const owned = new OwnedStream(id, call, this.clientInitialWindow);
          this.owned.set(id, owned);
          this.highestOwned = id;
          if (endStream) this.remoteEnd(owned);
          return;
        }
      }
      this.nodeStreams.set(id, endStream ? CLIENT_ENDED : 0);
    } else if (endStream) {
      this.nodeEnded(id, CLIENT_ENDED);
    }
    const pairs: [string, string][] = [];
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i]!;
      pairs.push([name, name === ':authority' ? repairedAuthority(fields[i + 1]!) : fields[i + 1]!]);
    }
    toNode.push(...headerFrames(block, encodeHeaderBlock(pairs)));
  }

  private onData(id: number, flags: number, payload: Buffer, whole: Buffer, toNode: Buffer[]): void {
    const s = this.owned.get(id);
    if (s === undefined) {
      if (this.isNodeOrIdle(id)) {
        toNode.push(whole);
        if ((flags & Flag.END_STREAM) !== 0) this.nodeEnded(id, CLIENT_ENDED);
      } else {
        // A stream that is over: dropped, but its bytes still count against the connection.
        this.connUnacked += payload.length;
      }
      return;
    }
    this.connUnacked += payload.length;
    s.recvUnacked += payload.length;
    // DATA after the client's END_STREAM breaks the protocol; the call never sees it.
    if (s.remoteEnded) return;
    const data = unpadded(flags, payload);
    if (data.length > 0) s.call.requestData(data);
    if ((flags & Flag.END_STREAM) !== 0) this.remoteEnd(s);
    else if (s.recvUnacked >= Math.min(REPLENISH_AT, this.serverInitialWindow >> 1) && this.owned.has(id)) {
      this.writeOwn(windowUpdateFrame(id, s.recvUnacked));
      s.recvUnacked = 0;
    }
  }

  private onWindowUpdate(id: number, payload: Buffer, whole: Buffer, toNode: Buffer[]): void {
    const increment = payload.length === 4 ? payload.readUInt32BE(0) & 0x7fffffff : 0;
    if (id === 0) {
      if (increment === 0) {
        toNode.push(whole);
        return;
      }
      this.connSendWindow += increment;
      const paid = Math.min(increment, this.debt);
      this.debt -= paid;
      if (increment > paid) toNode.push(paid === 0 ? whole : windowUpdateFrame(0, increment - paid));
      this.releaseWindowed();
      return;
    }
    const s = this.owned.get(id);
    if (s !== undefined) {
      s.sendWindow += increment;
      this.releaseWindowed();
    } else if (this.isNodeOrIdle(id)) {
      toNode.push(whole);
    }
  }

  private onClientSettings(payload: Buffer): void {
    for (let i = 0; i + 6 <= payload.length; i += 6) {
      const key = payload.readUInt16BE(i);
      const value = payload.readUInt32BE(i + 2);
      if (key === SETTINGS_INITIAL_WINDOW_SIZE) {
        const delta = value - this.clientInitialWindow;
        this.clientInitialWindow = value;
        for (const s of this.owned.values()) s.sendWindow += delta;
        if (delta > 0) this.releaseWindowed();
      } else if (key === SETTINGS_MAX_FRAME_SIZE) {
        this.clientMaxFrame = value;
      }
    }
  }

  /** Gives back, in one connection WINDOW_UPDATE, what our streams consumed once it is worth a frame. */
  private giveBackWindow(): void {
    if (this.connUnacked < REPLENISH_AT || this.destroyed) return;
    this.writeOwn(windowUpdateFrame(0, this.connUnacked));
    this.connUnacked = 0;
  }

  private remoteEnd(s: OwnedStream): void {
    if (s.remoteEnded) return;
    s.remoteEnded = true;
    if (s.localEnded) this.close(s);
    else s.call.requestEnd();
  }

  /** Node's stream `id` ended on one side; forgotten once both have (or it was reset). */
  private nodeEnded(id: number, side: number): void {
    const ended = this.nodeStreams.get(id);
    if (ended === undefined) return;
    const now = ended | side;
    if (now === (CLIENT_ENDED | NODE_ENDED)) this.nodeStreams.delete(id);
    else this.nodeStreams.set(id, now);
  }

  // ---- our replies ------------------------------------------------------------------

  /** Whether stream `id` no longer exists (reset, or the connection went away). */
  streamGone(id: number): boolean {
    return this.destroyed || !this.owned.has(id);
  }

  /** A reply: its headers, the framed message as DATA, then its trailers ending the stream. */
  sendReply(id: number, headersBlock: Buffer, message: Buffer, trailersBlock: Buffer): void {
    const s = this.owned.get(id);
    if (s === undefined || s.localEnded || this.destroyed) return;
    const n = message.length;
    if (!this.canSendNow(s, n)) {
      this.sendHeaders(id, headersBlock);
      this.sendData(id, message);
      this.sendTrailers(id, trailersBlock);
      return;
    }
    // The common case in one buffer and one write.
    const out = Buffer.allocUnsafe(3 * FRAME_HEADER_LENGTH + headersBlock.length + n + trailersBlock.length);
    let p = 0;
    writeFrameHeader(out, p, headersBlock.length, FrameType.HEADERS, Flag.END_HEADERS, id);
    p += FRAME_HEADER_LENGTH;
    p += headersBlock.copy(out, p);
    writeFrameHeader(out, p, n, FrameType.DATA, 0, id);
    p += FRAME_HEADER_LENGTH;
    p += message.copy(out, p);
    writeFrameHeader(out, p, trailersBlock.length, FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, id);
    p += FRAME_HEADER_LENGTH;
    trailersBlock.copy(out, p);
    this.spend(s, n);
    this.writeOwn(out);
    this.localEnd(s);
  }

  /** Response headers that do not end the stream. */
  sendHeaders(id: number, block: Buffer): void {
    const s = this.owned.get(id);
    if (s === undefined || s.localEnded || this.destroyed) return;
    this.writeOwn(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, id, block));
  }

  /**
   * DATA for stream `id`, in frames the client takes, as its windows allow: what does not
   * fit waits, in order. `written` is called once the bytes are handed to the socket.
   */
  sendData(id: number, data: Buffer, written?: () => void): void {
    const s = this.owned.get(id);
    if (s === undefined || s.localEnded || this.destroyed) return;
    if (this.canSendNow(s, data.length)) {
      this.spend(s, data.length);
      this.writeOwn(encodeFrame(FrameType.DATA, 0, id, data), written);
      return;
    }
    s.queue.push({ data, written });
    if (s.queue.length === 1) this.blocked.push(s);
    this.releaseWindowed();
  }

  /**
   * The headers that end the stream (trailers, or a status alone), after any DATA still
   * waiting for window. A client still sending has the rest of its request read and dropped.
   */
  sendTrailers(id: number, block: Buffer): void {
    const s = this.owned.get(id);
    if (s === undefined || s.localEnded || s.trailers !== undefined || this.destroyed) return;
    if (s.queue.length > 0) {
      s.trailers = block;
      return;
    }
    this.writeOwn(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, id, block));
    this.localEnd(s);
  }

  /** Calls `f` once the DATA sent so far on stream `id` left (on the next tick if none waits). */
  whenDataSent(id: number, f: () => void): void {
    const s = this.owned.get(id);
    if (s === undefined || s.queue.length === 0) process.nextTick(f);
    else (s.drained ??= []).push(f);
  }

  /** Whether `n` bytes of DATA can go now: nothing queued before them, and room in every window and frame. */
  private canSendNow(s: OwnedStream, n: number): boolean {
    return s.queue.length === 0 && this.blocked.length === 0 && n <= s.sendWindow && n <= this.connSendWindow && n <= this.clientMaxFrame;
  }

  private spend(s: OwnedStream, n: number): void {
    s.sendWindow -= n;
    this.connSendWindow -= n;
    this.debt += n;
  }

  private localEnd(s: OwnedStream): void {
    s.localEnded = true;
    if (s.remoteEnded) this.close(s);
  }

  private close(s: OwnedStream): void {
    if (this.owned.get(s.id) !== s) return;
    this.owned.delete(s.id);
    const i = this.blocked.indexOf(s);
    if (i >= 0) this.blocked.splice(i, 1);
    s.call.onStreamClose();
    this.maybeFinish();
  }

  /** Sends what waited for window: node's held output first, then our streams' DATA in order. */
  private releaseWindowed(): void {
    if (this.nodeOutput.waiting) {
      this.nodeOutput.release();
      this.flushOwnQueue();
      if (this.nodeOutput.waiting) return;
    }
    let progressed = true;
    while (progressed && this.blocked.length > 0 && this.connSendWindow > 0) {
      progressed = false;
      for (let i = 0; i < this.blocked.length; i++) {
        const s = this.blocked[i]!;
        progressed = this.sendQueued(s) || progressed;
        if (s.queue.length > 0) continue;
        this.blocked.splice(i--, 1);
        const drained = s.drained;
        s.drained = undefined;
        if (drained !== undefined) for (const f of drained) f();
        if (s.trailers !== undefined) {
          this.writeOwn(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, s.id, s.trailers));
          s.trailers = undefined;
          this.localEnd(s);
        }
      }
    }
  }

  /** Sends what the windows allow of a stream's queued DATA; whether anything went. */
  private sendQueued(s: OwnedStream): boolean {
    let sent = false;
    while (s.queue.length > 0) {
      const head = s.queue[0]!;
      const n = Math.min(head.data.length, s.sendWindow, this.connSendWindow, this.clientMaxFrame);
      if (n <= 0) break;
      this.spend(s, n);
      sent = true;
      if (n === head.data.length) {
        s.queue.shift();
        this.writeOwn(encodeFrame(FrameType.DATA, 0, s.id, head.data), head.written);
      } else {
        this.writeOwn(encodeFrame(FrameType.DATA, 0, s.id, head.data.subarray(0, n)));
        head.data = head.data.subarray(n);
      }
    }
    return sent;
  }

  // ---- server -> client -------------------------------------------------------------

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.fromNode(chunk, [done]);
  }

  override _writev(chunks: { chunk: Buffer }[], done: (err?: Error | null) => void): void {
    this.fromNode(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), [done]);
  }

  private fromNode(chunk: Buffer, done: ((err?: Error | null) => void)[]): void {
    this.nodeOutput.write(chunk, done);
    this.flushOwnQueue();
  }

  private onNodeSettings(payload: Buffer): void {
    this.serverPrefaceSent = true;
    for (let i = 0; i + 6 <= payload.length; i += 6) {
      const key = payload.readUInt16BE(i);
      if (key === SETTINGS_INITIAL_WINDOW_SIZE) this.serverInitialWindow = payload.readUInt32BE(i + 2);
      else if (key === SETTINGS_MAX_FRAME_SIZE) this.serverMaxFrame = payload.readUInt32BE(i + 2);
    }
  }

  /**
   * Our frames go out now, unless node has not sent its SETTINGS yet (a server's first frame
   * must be SETTINGS; under load a refusal we answer at once can come before it), node's output
   * stopped mid-frame, or earlier ones of ours wait.
   */
  private writeOwn(frameBytes: Buffer, written?: () => void): void {
    if (this.ownQueue.length === 0 && this.serverPrefaceSent && !this.nodeOutput.midFrame) this.out(frameBytes, written);
    else this.ownQueue.push({ bytes: frameBytes, written });
  }

  /** Our frames that waited for node's frame to end, once it has. */
  private flushOwnQueue(): void {
    if (this.ownQueue.length === 0 || !this.serverPrefaceSent || this.nodeOutput.midFrame) return;
    const queued = this.ownQueue;
    this.ownQueue = [];
    for (const q of queued) this.out(q.bytes, q.written);
  }

  /**
   * Writes made in one tick leave as one writev: on loopback each send(2) also runs the
   * receiver's TCP processing on this thread, so a batch of replies costs one.
   */
  private out(bytes: Buffer, written?: (err?: Error | null) => void): void {
    if (this.socket.destroyed) {
      written?.();
      return;
    }
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.releaseCork);
    }
    this.socket.write(bytes, written);
  }

  private readonly releaseCork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  /** A connection error of ours: GOAWAY with its code, then the connection closes. */
  private fail(code: number): void {
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(this.lastClientStream, 0);
    payload.writeUInt32BE(code, 4);
    if (!this.serverPrefaceSent) {
      // The connection ends here, so node's SETTINGS will not come: an empty one (no changes)
      // is a valid preface, and the GOAWAY goes out after it instead of waiting in the queue.
      this.serverPrefaceSent = true;
      this.out(encodeFrame(FrameType.SETTINGS, 0, 0, Buffer.alloc(0)));
      this.flushOwnQueue();
    }
    this.writeOwn(encodeFrame(FrameType.GOAWAY, 0, 0, payload));
    this.socketEnding = true;
    this.socket.end();
    this.destroy();
  }

  override _final(done: (err?: Error | null) => void): void {
    this.finalDone = done;
    this.maybeFinish();
  }

  /** Node closed its side: the socket ends once our streams are answered too. */
  private maybeFinish(): void {
    if (this.finalDone === undefined || this.owned.size > 0) return;
    const done = this.finalDone;
    this.finalDone = undefined;
    this.socket.end(() => done());
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    const streams = [...this.owned.values()];
    this.owned.clear();
    this.blocked.length = 0;
    for (const s of streams) {
      s.call.streamReset();
      s.call.onStreamClose();
    }
    this.nodeOutput.abandon(err);
    if (!this.socketEnding) this.socket.destroy();
    done(err);
  }

  /** Node has begun closing the session (GOAWAY sent or the stream ending): new calls go to it. */
  private closing(): boolean {
    return this.goingAway || this.finalDone !== undefined || this.writableEnded;
  }
}
