// Encodes ts-proto messages through one long-lived BinaryWriter. A fresh writer (what the
// generated encode() makes by default) starts at 128 bytes and doubles, copying, until the
// message fits: a 256-byte put grows twice before finish() copies it out once more. The
// shared writer keeps its grown buffer, so an encode costs the one copy finish() makes.
// Safe because encode() is synchronous: no other encode can run in between.

import { BinaryWriter } from '@bufbuild/protobuf/wire';

export interface MessageEncoder<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
}

/** Past this, the writer is dropped after use rather than hold a large buffer forever. */
const KEEP_WRITER_UP_TO = 64 * 1024;

let shared = new BinaryWriter();

export function encodeMessage<T>(type: MessageEncoder<T>, message: T): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = type.encode(message, shared).finish();
  } catch (err) {
    // A throw mid-encode leaves the writer's position and fork stack behind.
    shared = new BinaryWriter();
    throw err;
  }
  if (bytes.length > KEEP_WRITER_UP_TO) shared = new BinaryWriter();
  return bytes;
}

/** The same bytes as a Buffer over finish()'s own copy (Buffer.from(bytes) would copy again). */
export function encodeMessageToBuffer<T>(type: MessageEncoder<T>, message: T): Buffer {
  const bytes = encodeMessage(type, message);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
