// Splits a gRPC request body, as it arrives in DATA chunks, into its length-prefixed
// messages, checking each declared length against the receive limit before buffering it,
// as grpc-js's stream decoder does. Shared by the fast paths that serve calls off
// node:http2 streams without grpc-js (unary-fast-path.ts, watch-fast-path.ts).

/** The bytes before every gRPC message: a compressed flag and the length. */
export const FRAME_PREFIX_BYTES = 5;

export class GrpcMessageReader {
  private readonly chunks: Buffer[] = [];
  private received = 0;
  /** Set (to the declared size) when the next message is over the limit; take() then stops. */
  private oversize = 0;

  constructor(private readonly maxReceiveBytes: number) {}

  private push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.received += chunk.length;
  }

  /**
   * Adds `chunk` and hands every whole message to `onMessage`, which answers whether to go
   * on (false once the call ended). Returns the declared size of a message over the limit
   * (the caller answers RESOURCE_EXHAUSTED), else 0.
   */
  feed(chunk: Buffer, onMessage: (body: Buffer) => boolean): number {
    this.push(chunk);
    for (let body = this.take(); body !== undefined; body = this.take()) {
      if (!onMessage(body)) return 0;
    }
    return this.oversize;
  }

  /** The next whole message's body, or undefined while it is incomplete (or over the limit). */
  private take(): Buffer | undefined {
    if (this.oversize > 0 || this.received < FRAME_PREFIX_BYTES) return undefined;
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.received);
    const size = buf.readUInt32BE(1);
    if (size > this.maxReceiveBytes) {
      this.oversize = size;
      return undefined;
    }
    this.chunks.length = 0;
    if (buf.length < FRAME_PREFIX_BYTES + size) {
      this.chunks.push(buf);
      return undefined;
    }
    const rest = buf.subarray(FRAME_PREFIX_BYTES + size);
    this.received = rest.length;
    if (rest.length > 0) this.chunks.push(rest);
    return buf.subarray(FRAME_PREFIX_BYTES, FRAME_PREFIX_BYTES + size);
  }
}

/**
 * For a response serializer, one that returns grpcFrame of its output in one go (without
 * a second Buffer and copy); the fast paths use it when there is one (put-codec.ts adds
 * the put reply's).
 */
export const framedSerializers = new WeakMap<(value: never) => Buffer, (value: never) => Buffer>();

/** A message with its gRPC prefix (not compressed, then the length), ready for a DATA frame. */
export function grpcFrame(bytes: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + bytes.length);
  frame[0] = 0;
  frame.writeUInt32BE(bytes.length, 1);
  frame.set(bytes, FRAME_PREFIX_BYTES);
  return frame;
}

/** grpc-js's status text for a request message over the receive limit. */
export function oversizeDetails(size: number, max: number): string {
  return `Received message larger than max (${size} vs ${max})`;
}
