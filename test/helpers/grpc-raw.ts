// Raw gRPC over node:http2 for tests that compare what two members send byte for byte:
// message framing, header records without their date, and grpc_server_* metric deltas.

import assert from 'node:assert/strict';
import type http2 from 'node:http2';
import type { Member } from './processes.js';

/** The parts of an HTTP/2 header block the two paths must agree on (not its date). */
export function headerRecord(h: http2.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (k !== 'date' && v !== undefined) out[k] = String(v);
  return out;
}

/** gRPC messages, each with its 5-byte prefix (not compressed, length). */
export function frame(...messages: Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of messages) {
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(m.length, 1);
    parts.push(prefix, Buffer.from(m));
  }
  return Buffer.concat(parts);
}

/** grpc_server_* series of a member's /metrics, by series. */
export async function grpcSeries(m: Member): Promise<Map<string, number>> {
  const text = await (await fetch(`${m.clientUrl}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('grpc_server_')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

export function delta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) if (v !== (before.get(k) ?? 0)) out[k] = v - (before.get(k) ?? 0);
  return out;
}

/** How long a raw stream waits for what a test expects before failing. */
const RAW_STREAM_WAIT_MS = 10_000;

/**
 * One raw bidi gRPC stream: requests written as framed messages, responses split back into
 * messages (each without its prefix), and the response headers and trailers as records.
 */
export class RawBidiStream {
  readonly req: http2.ClientHttp2Stream;
  headers: Record<string, string> = {};
  trailers: Record<string, string> = {};
  readonly messages: Buffer[] = [];
  private pending = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  readonly closed: Promise<void>;

  constructor(session: http2.ClientHttp2Session, path: string, extraHeaders: Record<string, string> = {}) {
    this.req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...extraHeaders });
    this.req.on('response', (h) => (this.headers = headerRecord(h)));
    this.req.on('trailers', (t) => (this.trailers = headerRecord(t)));
    this.req.on('data', (c: Buffer) => {
      this.pending = Buffer.concat([this.pending, c]);
      while (this.pending.length >= 5 && this.pending.length >= 5 + this.pending.readUInt32BE(1)) {
        const size = this.pending.readUInt32BE(1);
        this.messages.push(this.pending.subarray(5, 5 + size));
        this.pending = this.pending.subarray(5 + size);
      }
      this.waiter?.();
    });
    this.closed = new Promise<void>((resolve) => this.req.once('close', resolve));
    this.req.on('error', () => {});
  }

  /** Polls `done` on every arrival (and every 50 ms) until it holds or the stream closed; fails after 10 s. */
  async waitFor(done: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + RAW_STREAM_WAIT_MS;
    while (!done() && !this.req.closed) {
      assert.ok(Date.now() < deadline, `waited for ${what}; got ${this.messages.length} responses`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
  }
}
