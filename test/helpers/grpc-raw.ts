// Raw gRPC over node:http2 for tests that compare what two members send byte for byte:
// message framing, header records without their date, and grpc_server_* metric deltas.

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
