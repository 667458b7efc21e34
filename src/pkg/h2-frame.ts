// HTTP/2 frame layout (RFC 9113 §4.1): the 9-byte header, frame types and flags. Shared by
// the client port's byte-level HTTP/2 pieces (src/api/h2-*) and the benchmark's client.

/** The client connection preface every HTTP/2 connection opens with (RFC 9113 §3.4). */
export const CONNECTION_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FRAME_HEADER_LENGTH = 9;
export const FrameType = { DATA: 0, HEADERS: 1, PRIORITY: 2, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;

/** Writes a frame header (24-bit length, type, flags, stream id) at `pos` of `out`. */
export function writeFrameHeader(out: Buffer, pos: number, length: number, type: number, flags: number, streamId: number): void {
  out[pos] = (length >>> 16) & 0xff;
  out[pos + 1] = (length >>> 8) & 0xff;
  out[pos + 2] = length & 0xff;
  out[pos + 3] = type;
  out[pos + 4] = flags;
  out.writeUInt32BE(streamId, pos + 5);
}

/** A whole frame: header and payload in one buffer. */
export function frame(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + payload.length);
  writeFrameHeader(out, 0, payload.length, type, flags, streamId);
  out.set(payload, FRAME_HEADER_LENGTH);
  return out;
}

/** A DATA or HEADERS frame's payload without its padding (when flagged PADDED). */
export function unpadded(flags: number, payload: Buffer): Buffer {
  if ((flags & Flag.PADDED) === 0) return payload;
  const padding = payload[0] ?? 0;
  if (padding >= payload.length) throw new RangeError('HTTP/2: padding longer than the frame');
  return payload.subarray(1, payload.length - padding);
}

/** A HEADERS frame's payload split: its priority fields (when flagged) and its header block fragment, padding removed. */
export function headersPayload(flags: number, payload: Buffer): { priority: Buffer | undefined; fragment: Buffer } {
  let body = unpadded(flags, payload);
  let priority: Buffer | undefined;
  if ((flags & Flag.PRIORITY) !== 0) {
    priority = body.subarray(0, 5);
    body = body.subarray(5);
  }
  return { priority, fragment: body };
}

/** A WINDOW_UPDATE frame granting `increment` bytes on `streamId` (0: the connection). */
export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + 4);
  writeFrameHeader(out, 0, 4, FrameType.WINDOW_UPDATE, 0, streamId);
  out.writeUInt32BE(increment, FRAME_HEADER_LENGTH);
  return out;
}
