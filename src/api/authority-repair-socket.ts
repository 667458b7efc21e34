// The client port's HTTP/2 connections reach gRPC through this stream so that the bytes a
// client sends pass H2AuthorityFilter first (see there for why). Replies go to the socket
// unchanged. Backpressure runs both ways: a full read side pauses the socket, and writes
// complete when the socket has taken them.

import { Duplex } from 'node:stream';
import type net from 'node:net';
import { H2AuthorityFilter } from './h2-authority-filter.js';

export class AuthorityRepairSocket extends Duplex {
  private readonly authorityFilter = new H2AuthorityFilter();
  /** True from the first write of a tick until the end of that tick (see coalesceWrites). */
  private corked = false;

  constructor(private readonly socket: net.Socket) {
    super({ allowHalfOpen: true });
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
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.coalesceWrites();
    this.socket.write(chunk, done);
  }

  override _writev(chunks: { chunk: Buffer }[], done: (err?: Error | null) => void): void {
    this.coalesceWrites();
    this.socket.write(Buffer.concat(chunks.map((c) => c.chunk)), done);
  }

  /**
   * HTTP/2 hands a reply over as several small writes (HEADERS, DATA, trailers). Each
   * socket write is a send(2) that, on loopback, also runs the receiver's TCP processing
   * and wake-up on this thread; writes made in one tick go out as one writev instead.
   */
  private coalesceWrites(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(() => {
      this.corked = false;
      this.socket.uncork();
    });
  }

  override _final(done: (err?: Error | null) => void): void {
    this.socket.end(done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.socket.destroy();
    done(err);
  }
}
