// Tables drawn the way etcdctl's tablewriter draws them: header centered and upper
// case, cells right-aligned, one space of padding, +---+ borders.

function center(text: string, width: number): string {
  const pad = width - text.length;
  const left = Math.floor(pad / 2);
  return ' '.repeat(left) + text + ' '.repeat(pad - left);
}

export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const border = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const out = [border, line(header.map((h, i) => center(h.toUpperCase(), widths[i]!))), border];
  for (const r of rows) out.push(line(r.map((c, i) => c.padStart(widths[i]!))));
  out.push(border);
  return out.join('\n') + '\n';
}
