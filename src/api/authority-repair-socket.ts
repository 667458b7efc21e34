// The client port's HTTP/2 connections reach gRPC through this stream so that the bytes a
// client sends pass H2AuthorityFilter first (see there for why). Replies go to the socket
// unchanged. Backpressure runs both ways: a full read side pauses the socket, and writes
// complete when the socket has taken them.

import { SocketStandIn } from './socket-stand-in.js';
import type net from 'node:net';
import { H2AuthorityFilter } from './h2-authority-filter.js';
import { ReplyFrameScanner } from './h2-reply-frames.js';

/** Event-loop turns a reply's HEADERS+DATA may wait for its trailers (they take 2-3). */
const MAX_HOLD_TURNS = 4;
/** A held write completes at once only while the socket buffers less than this. */
const EARLY_DONE_BYTES = 64 * 1024;

export class AuthorityRepairSocket extends SocketStandIn {
  private readonly authorityFilter = new H2AuthorityFilter();
  /** True from the first write of a tick until the writes are released (see send). */
  private corked = false;
  private readonly replies = new ReplyFrameScanner();
  private holdTurns = 0;
  private tickPending = false;
  private immediatePending = false;

  constructor(socket: net.Socket) {
    super(socket);
    socket.on('data', (chunk: Buffer) => {
      let out: Buffer;
      try {
        out = this.authorityFilter.write(chunk);
      } catch (err) {
        this.destroy(err as Error);
        return;
      }
      if (out.length > 0 && !this.push(out)) socket.pause();
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.send(chunk, done);
  }

  override _writev(chunks: { chunk: Buffer }[], done: (err?: Error | null) => void): void {
    this.send(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), done);
  }

  /**
   * HTTP/2 hands a reply over as several small writes (HEADERS, DATA, trailers). Each
   * socket write is a send(2) that, on loopback, also runs the receiver's TCP processing
   * and wake-up on this thread; writes made in one tick go out as one writev instead.
   * A unary gRPC reply's trailers are produced only after its DATA write completes, two
   * or three event-loop turns later (grpc-js waits for the write callback, then node's
   * HTTP/2 asks for trailers and sends them from a setImmediate): while the bytes end
   * with such a reply's DATA, the write completes at once and the socket stays corked for
   * up to MAX_HOLD_TURNS turns, so the whole reply leaves in one send.
   */
  private send(chunk: Buffer, done: (err?: Error | null) => void): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
    }
    this.replies.scan(chunk);
    if (this.replies.awaitingTrailers && this.socket.writableLength + chunk.length <= EARLY_DONE_BYTES) {
      this.socket.write(chunk);
      done();
    } else {
      this.socket.write(chunk, done);
    }
    if (!this.tickPending) {
      this.tickPending = true;
      process.nextTick(this.onTick);
    }
  }

  private readonly onTick = (): void => {
    this.tickPending = false;
    this.maybeRelease();
  };

  private readonly onImmediate = (): void => {
    this.immediatePending = false;
    this.maybeRelease();
  };

  private maybeRelease(): void {
    if (!this.corked) return;
    if (this.replies.awaitingTrailers && this.holdTurns < MAX_HOLD_TURNS) {
      if (!this.immediatePending) {
        this.immediatePending = true;
        this.holdTurns++;
        setImmediate(this.onImmediate);
      }
      return;
    }
    this.holdTurns = 0;
    this.corked = false;
    this.replies.release();
    this.socket.uncork();
  }

  override _final(done: (err?: Error | null) => void): void {
    this.socket.end(done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.socket.destroy();
    done(err);
  }
}
