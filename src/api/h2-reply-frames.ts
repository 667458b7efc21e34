// Follows the HTTP/2 frames a server connection sends, enough to tell when the bytes sent so
// far end with a reply's DATA whose trailers have not followed yet (see AuthorityRepairSocket:
// a unary gRPC reply's HEADERS+DATA and its trailers are produced a few event-loop turns
// apart, and sending them as one write saves a send(2) and a wake-up of the client).


import { FRAME_HEADER_LENGTH, FrameType, Flag } from '../pkg/h2-frame.js';
export class ReplyFrameScanner {
  private readonly header = Buffer.alloc(FRAME_HEADER_LENGTH);
  private headerHave = 0;
  private payloadLeft = 0;
  private lastType = -1;
  private lastFlags = 0;
  private lastStream = 0;
  /** Streams whose response HEADERS (not ending the stream) were sent since the last release. */
  private readonly opened = new Set<number>();

  /** Feeds bytes about to be sent, in order. */
  scan(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, chunk.length - i);
        this.payloadLeft -= n;
        i += n;
        continue;
      }
      const n = Math.min(FRAME_HEADER_LENGTH - this.headerHave, chunk.length - i);
      this.header.set(chunk.subarray(i, i + n), this.headerHave);
      this.headerHave += n;
      i += n;
      if (this.headerHave < FRAME_HEADER_LENGTH) break;
      this.headerHave = 0;
      this.payloadLeft = this.header.readUIntBE(0, 3);
      this.lastType = this.header[3]!;
      this.lastFlags = this.header[4]!;
      this.lastStream = this.header.readUInt32BE(5) & 0x7fffffff;
      const ends = (this.lastFlags & Flag.END_STREAM) !== 0 || this.lastType === FrameType.RST_STREAM;
      if (ends) this.opened.delete(this.lastStream);
      else if (this.lastType === FrameType.HEADERS) this.opened.add(this.lastStream);
    }
  }

  /**
   * True when the bytes so far end on a frame boundary, with a DATA frame of a stream
   * whose reply HEADERS went out since the last release and whose end has not: a reply
   * whose trailers are still to come. A stream's later DATA (a watch's events) is not
   * held, since release() forgets the streams.
   */
  get awaitingTrailers(): boolean {
    return (
      this.payloadLeft === 0 &&
      this.headerHave === 0 &&
      this.lastType === FrameType.DATA &&
      (this.lastFlags & Flag.END_STREAM) === 0 &&
      this.opened.has(this.lastStream)
    );
  }

  /** The held bytes went to the socket. */
  release(): void {
    this.opened.clear();
  }
}
