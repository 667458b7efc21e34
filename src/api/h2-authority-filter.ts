// Go's gRPC client (etcdctl 3.4 and every clientv3 user) sends the dial target verbatim as
// :authority when it dials one endpoint directly: `etcdctl --endpoints=http://host:2379
// endpoint status` sends ":authority: http://host:2379". Go's HTTP/2 server takes any
// authority, so etcd answers; nghttp2 (Node's HTTP/2) checks it against RFC 3986 and resets
// the stream with PROTOCOL_ERROR. This filter sits on the bytes a client sends and, only
// for a connection whose first header block carries such an authority, rewrites every header
// block with the scheme and path taken off. Every other connection is passed through
// untouched after its first header block, so well-behaved clients cost one HPACK decode.

import { CONNECTION_PREFACE, FRAME_HEADER_LENGTH, FrameType, Flag, headersPayload, writeFrameHeader } from '../pkg/h2-frame.js';
import { HpackDecoder, HpackError, encodeHeaderBlock } from '../pkg/hpack.js';

/** SETTINGS_MAX_FRAME_SIZE's floor: every HTTP/2 server accepts frames this large. */
const MAX_FRAME_PAYLOAD = 16_384;
/**
 * The client's encoder is bounded by the table size the server advertised; the filter only
 * follows it, so it accepts any size a client announces rather than enforce a second limit.
 */
const DECODER_TABLE_LIMIT = 1 << 24;

/** RFC 3986 authority characters: unreserved, pct-encoded, sub-delims, ":", "@", "[", "]". */
const VALID_AUTHORITY = /^[A-Za-z0-9\-._~%!$&'()*+,;=:@[\]]*$/;

/** "http://host:2379" and "unix://host/x" become "host:2379" and "host"; valid values stay. */
export function repairedAuthority(value: string): string {
  if (VALID_AUTHORITY.test(value)) return value;
  const withoutScheme = value.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '');
  const host = withoutScheme.split('/')[0] ?? '';
  return host !== '' && VALID_AUTHORITY.test(host) ? host : value;
}

interface PendingBlock {
  streamId: number;
  flags: number;
  /** The 5 priority bytes a HEADERS frame carried, kept as they were. */
  priority: Buffer | undefined;
  fragments: Buffer[];
  /** The frames exactly as received, for when the block is passed on unchanged. */
  raw: Buffer[];
}

type Mode = 'probe' | 'rewrite' | 'pass';

export class H2AuthorityFilter {
  private mode: Mode = 'probe';
  private prefaceLeft = CONNECTION_PREFACE.length;
  private buffered: Buffer = Buffer.alloc(0);
  private block: PendingBlock | undefined;
  private readonly decoder = new HpackDecoder(DECODER_TABLE_LIMIT);

  /** Whether the connection turned out to need repair (for logs and tests). */
  get repairing(): boolean {
    return this.mode === 'rewrite';
  }

  /** Whether the first header block was fine and every later byte passes untouched. */
  get passingThrough(): boolean {
    return this.mode === 'pass';
  }

  /** Takes bytes from the client; returns the bytes to hand to the HTTP/2 server. */
  write(chunk: Buffer): Buffer {
    if (this.mode === 'pass') return chunk;
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const out: Buffer[] = [];
    if (this.prefaceLeft > 0) {
      const n = Math.min(this.prefaceLeft, this.buffered.length);
      out.push(this.buffered.subarray(0, n));
      this.buffered = this.buffered.subarray(n);
      this.prefaceLeft -= n;
    }
    while (!this.passing() && this.buffered.length >= FRAME_HEADER_LENGTH) {
      const length = this.buffered.readUIntBE(0, 3);
      if (this.buffered.length < FRAME_HEADER_LENGTH + length) break;
      const frame = this.buffered.subarray(0, FRAME_HEADER_LENGTH + length);
      this.buffered = this.buffered.subarray(FRAME_HEADER_LENGTH + length);
      this.onFrame(frame, out);
    }
    if (this.passing() && this.buffered.length > 0) {
      out.push(this.buffered);
      this.buffered = Buffer.alloc(0);
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** Re-read after each frame: onFrame may switch the mode. */
  private passing(): boolean {
    return this.mode === 'pass';
  }

  private onFrame(frame: Buffer, out: Buffer[]): void {
    const type = frame[3]!;
    const flags = frame[4]!;
    const streamId = frame.readUInt32BE(5) & 0x7fffffff;
    const payload = frame.subarray(FRAME_HEADER_LENGTH);
    if (type === FrameType.HEADERS && this.block === undefined) {
      this.block = startBlock(streamId, flags, payload, frame);
    } else if (type === FrameType.CONTINUATION && this.block !== undefined && this.block.streamId === streamId) {
      this.block.fragments.push(payload);
      this.block.raw.push(frame);
      this.block.flags |= flags & Flag.END_HEADERS;
    } else {
      // Anything else (including a malformed sequence) goes on for the server to judge.
      if (this.block) out.push(...this.takeBlock().raw);
      out.push(frame);
      return;
    }
    if ((this.block.flags & Flag.END_HEADERS) !== 0) this.onBlock(this.takeBlock(), out);
  }

  private takeBlock(): PendingBlock {
    const block = this.block!;
    this.block = undefined;
    return block;
  }

  private onBlock(block: PendingBlock, out: Buffer[]): void {
    const headers: [string, string][] = [];
    try {
      this.decoder.decode(Buffer.concat(block.fragments), (name, value) => headers.push([name, value]));
    } catch (err) {
      if (!(err instanceof HpackError) || this.mode === 'rewrite') throw err;
      // Undecodable: the server reports the compression error itself.
      out.push(...block.raw);
      this.mode = 'pass';
      return;
    }
    const authority = headers.find(([name]) => name === ':authority');
    const needsRepair = authority !== undefined && repairedAuthority(authority[1]) !== authority[1];
    if (this.mode === 'probe' && !needsRepair) {
      out.push(...block.raw);
      this.mode = 'pass';
      return;
    }
    this.mode = 'rewrite';
    if (authority) authority[1] = repairedAuthority(authority[1]);
    out.push(...headerFrames(block, encodeHeaderBlock(headers)));
  }
}

function startBlock(streamId: number, flags: number, payload: Buffer, frame: Buffer): PendingBlock {
  const { priority, fragment } = headersPayload(flags, payload);
  return { streamId, flags, priority, fragments: [fragment], raw: [frame] };
}

function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const h = Buffer.alloc(FRAME_HEADER_LENGTH);
  writeFrameHeader(h, 0, length, type, flags, streamId);
  return h;
}

/** The re-encoded block as HEADERS (+ CONTINUATION) frames, without padding. */
export function headerFrames(block: Pick<PendingBlock, "streamId" | "flags" | "priority">, encoded: Buffer): Buffer[] {
  const priority = block.priority ?? Buffer.alloc(0);
  const firstRoom = MAX_FRAME_PAYLOAD - priority.length;
  const frames: Buffer[] = [];
  let rest = encoded;
  const first = rest.subarray(0, firstRoom);
  rest = rest.subarray(first.length);
  const headersFlags = (block.flags & (Flag.END_STREAM | Flag.PRIORITY)) | (rest.length === 0 ? Flag.END_HEADERS : 0);
  frames.push(frameHeader(priority.length + first.length, FrameType.HEADERS, headersFlags, block.streamId), priority, first);
  while (rest.length > 0) {
    const part = rest.subarray(0, MAX_FRAME_PAYLOAD);
    rest = rest.subarray(part.length);
    frames.push(frameHeader(part.length, FrameType.CONTINUATION, rest.length === 0 ? Flag.END_HEADERS : 0, block.streamId), part);
  }
  return frames;
}
