// What node's HTTP/2 session writes on a connection the client port's front end shares with it
// (h2-front-connection.ts), followed frame by frame on its way to the socket: node's DATA
// spends the connection window the client granted, and what does not fit is held (node does
// not know what the front end's own replies spent); a GOAWAY is made to name the front end's
// streams too; node's SETTINGS are reported; and the front end learns where node's frames
// end, since its own frames may only go out between two of them.

import { FRAME_HEADER_LENGTH, FrameType, Flag } from '../pkg/h2-frame.js';

type WriteDone = (err?: Error | null) => void;

/** What the scan needs of the connection it writes for. */
export interface NodeOutputSink {
  /** The connection window left for DATA. */
  sendWindow(): number;
  spendWindow(n: number): void;
  /** Node sends GOAWAY naming `lastStreamId`: the id to name instead. */
  goaway(lastStreamId: number): number;
  settings(payload: Buffer): void;
  /** Node ended (END_STREAM) or reset one of its streams. */
  streamEnded(id: number, reset: boolean): void;
  /** To the socket; `written` once handed over. */
  out(bytes: Buffer, written?: WriteDone): void;
}

export class NodeOutput {
  /** Payload bytes of node's current frame still to come. */
  private frameLeft = 0;
  /** Bytes not yet sent: a partial frame header, a GOAWAY or SETTINGS being completed, or held for window. */
  private carry: Buffer = Buffer.alloc(0);
  /** True while `carry` waits for window rather than for more bytes. */
  private held = false;
  /** Node's write callbacks of held bytes, called once they are sent. */
  private heldDone: WriteDone[] = [];

  constructor(private readonly sink: NodeOutputSink) {}

  /** Whether node's output stopped inside a frame: another frame may not go out now. */
  get midFrame(): boolean {
    return this.frameLeft > 0 || (this.carry.length > 0 && !this.held);
  }

  /** A write of node's session; `done` runs once its bytes reached the socket (node's backpressure). */
  write(chunk: Buffer, done: WriteDone[]): void {
    let buf = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    this.carry = Buffer.alloc(0);
    let pos = 0;
    let sentUpTo = 0;
    while (pos < buf.length) {
      if (this.frameLeft > 0) {
        const n = Math.min(this.frameLeft, buf.length - pos);
        this.frameLeft -= n;
        pos += n;
        sentUpTo = pos;
        continue;
      }
      if (buf.length - pos < FRAME_HEADER_LENGTH) break;
      const length = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
      const type = buf[pos + 3]!;
      const flags = buf[pos + 4]!;
      const id = buf.readUInt32BE(pos + 5) & 0x7fffffff;
      if (type === FrameType.DATA && length > this.sink.sendWindow()) {
        this.held = true;
        break;
      }
      const whole = buf.length - pos >= FRAME_HEADER_LENGTH + length;
      if ((type === FrameType.GOAWAY || type === FrameType.SETTINGS) && !whole) break;
      const payloadAt = pos + FRAME_HEADER_LENGTH;
      if (type === FrameType.DATA) {
        this.sink.spendWindow(length);
        if ((flags & Flag.END_STREAM) !== 0) this.sink.streamEnded(id, false);
      } else if (type === FrameType.HEADERS) {
        if ((flags & Flag.END_STREAM) !== 0) this.sink.streamEnded(id, false);
      } else if (type === FrameType.RST_STREAM) {
        this.sink.streamEnded(id, true);
      } else if (type === FrameType.GOAWAY && length >= 4) {
        const last = buf.readUInt32BE(payloadAt) & 0x7fffffff;
        const named = this.sink.goaway(last);
        if (named !== last) {
          if (buf === chunk) buf = Buffer.from(buf);
          buf.writeUInt32BE(named, payloadAt);
        }
      } else if (type === FrameType.SETTINGS && (flags & Flag.ACK) === 0) {
        this.sink.settings(buf.subarray(payloadAt, payloadAt + length));
      }
      const n = Math.min(length, buf.length - payloadAt);
      this.frameLeft = length - n;
      pos = payloadAt + n;
      sentUpTo = pos;
    }
    const rest = buf.subarray(sentUpTo);
    if (rest.length > 0) this.carry = rest;
    const sent = buf.subarray(0, sentUpTo);
    if (this.held) {
      // Completed once the client grants window and the bytes go out.
      this.heldDone.push(...done);
      if (sent.length > 0) this.sink.out(sent);
    } else if (sent.length > 0) {
      this.sink.out(sent, done.length === 1 ? done[0] : () => { for (const d of done) d(); });
    } else {
      for (const d of done) d();
    }
  }

  /** The window grew: held bytes go out as far as it allows. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    const carry = this.carry;
    this.carry = Buffer.alloc(0);
    const done = this.heldDone;
    this.heldDone = [];
    this.write(carry, done);
  }

  /** Whether node's DATA waits for window. */
  get waiting(): boolean {
    return this.held;
  }

  /** The connection is gone: held writes fail. */
  abandon(err: Error | null): void {
    const done = this.heldDone;
    this.heldDone = [];
    for (const d of done) d(err);
  }
}
