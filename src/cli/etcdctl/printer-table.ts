// -w table: olekukonko/tablewriter as etcdctl configures it: header upper-cased and
// centred, cells right-aligned, one space of padding, +---+ borders. Only membership
// and endpoint responses have tables; KV responses are refused (see printer.ts).

import type { MemberListResponse } from '../../gen/etcdserverpb/rpc.js';
import { goDuration } from './go-format.js';
import type { EndpointHash, EndpointHealth, EndpointStatus, Printer, PrinterIO } from './printer.js';
import { memberRow, statusRow } from './printer-simple.js';

function width(s: string): number {
  return [...s].length;
}

function center(text: string, w: number): string {
  const pad = w - width(text);
  const left = Math.floor(pad / 2);
  return ' '.repeat(left) + text + ' '.repeat(pad - left);
}

export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const border = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const out = [border, line(header.map((h, i) => center(h.toUpperCase(), widths[i]!))), border];
  for (const r of rows) out.push(line(r.map((c, i) => ' '.repeat(widths[i]! - width(c)) + c)));
  out.push(border);
  return out.join('\n') + '\n';
}

export class TablePrinter implements Printer {
  constructor(private readonly io: PrinterIO) {}

  memberList(r: MemberListResponse): void {
    this.io.out.raw(renderTable(['ID', 'status', 'name', 'peer addrs', 'client addrs', 'is learner'], r.members.map(memberRow)));
  }

  endpointHealth(hs: EndpointHealth[]): void {
    this.io.out.raw(renderTable(['endpoint', 'health', 'took', 'error'], hs.map((h) => [h.endpoint, String(h.health), goDuration(h.tookNs), h.error ?? ''])));
  }

  endpointHashKV(hs: EndpointHash[]): void {
    this.io.out.raw(renderTable(['endpoint', 'hash'], hs.map((h) => [h.endpoint, String(h.hashKV.hash)])));
  }

  endpointStatus(ss: EndpointStatus[]): void {
    this.io.out.raw(
      renderTable(['endpoint', 'ID', 'version', 'db size', 'is leader', 'is learner', 'raft term', 'raft index', 'raft applied index', 'errors'], ss.map(statusRow)),
    );
  }
}
