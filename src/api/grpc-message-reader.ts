// Splits a gRPC request body, as it arrives in DATA chunks, into its length-prefixed
// messages, checking each declared length against the receive limit before buffering it,
// as grpc-js's stream decoder does. Shared by the fast paths that serve calls off
// node:http2 streams without grpc-js (unary-fast-path.ts, watch-fast-path.ts). Each whole
// message's length goes to etcd_network_client_grpc_received_bytes_total here, as etcd's
// codec counts every message it decodes.

import { grpcBytes } from '../metrics/registry.js';

/** The bytes before every gRPC message: a compressed flag and the length. */
export const FRAME_PREFIX_BYTES = 5;

/** Who takes the whole messages a reader finds (an object, not a closure: no function per call). */
export interface MessageSink {
  /** One whole message; answers whether to go on (false once the call ended). */
  takeMessage(body: Buffer): boolean;
}

export class GrpcMessageReader {
  /**
   * The bytes not yet taken: most calls get their one message in one chunk, so a single
   * Buffer, with an array only while a message spans chunks (an array per call, and its
   * backing store on the first push, were ~200 bytes of garbage a unary call).
   */
  private first: Buffer | undefined;
  private more: Buffer[] | undefined;
  private received = 0;
  /** Set (to the declared size) when the next message is over the limit; take() then stops. */
  private oversize = 0;

  constructor(private readonly maxReceiveBytes: number) {}

  private push(chunk: Buffer): void {
    if (this.first === undefined) this.first = chunk;
    else if (this.more === undefined) this.more = [chunk];
    else this.more.push(chunk);
    this.received += chunk.length;
  }

  /**
   * Adds `chunk` and hands every whole message to `sink`. Returns the declared size of a
   * message over the limit (the caller answers RESOURCE_EXHAUSTED), else 0.
   */
  feed(chunk: Buffer, sink: MessageSink): number {
    this.push(chunk);
    for (let body = this.take(); body !== undefined; body = this.take()) {
      grpcBytes.received += body.length;
      if (!sink.takeMessage(body)) return 0;
    }
    return this.oversize;
  }

  /** The next whole message's body, or undefined while it is incomplete (or over the limit). */
  private take(): Buffer | undefined {
    if (this.oversize > 0 || this.received < FRAME_PREFIX_BYTES) return undefined;
    let buf = this.first!;
    if (this.more !== undefined) {
      buf = Buffer.concat([buf, ...this.more], this.received);
      this.first = buf;
      this.more = undefined;
    }
    const size = buf.readUInt32BE(1);
    if (size > this.maxReceiveBytes) {
      this.oversize = size;
      return undefined;
    }
    const end = FRAME_PREFIX_BYTES + size;
    if (buf.length < end) return undefined;
    // No empty view of the rest when the message ends the chunk, as it usually does.
    if (buf.length === end) {
      this.first = undefined;
      this.received = 0;
    } else {
      this.first = buf.subarray(end);
      this.received = buf.length - end;
    }
    return buf.subarray(FRAME_PREFIX_BYTES, end);
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
