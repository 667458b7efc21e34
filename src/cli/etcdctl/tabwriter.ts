// Go's text/tabwriter as etcdctl's help uses it: NewWriter(out, 0, 8, 1, '\t', 0).
// A cell is text ended by a tab; the text after a line's last tab is not a cell.
// Consecutive lines that have a cell in column j form a block whose column width is
// the widest cell + 1 (padding), rounded up to a tab stop (8); cells are padded with
// as many tabs as reach that width. Blocks nest per column, as in Go's format().

const TAB_WIDTH = 8;
const PADDING = 1;

/** Display width: Go counts runes. */
function runeCount(s: string): number {
  return [...s].length;
}

export function tabwrite(text: string): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      let s = '';
      cells.forEach((c, j) => {
        s += c;
        if (j < cells.length - 1 && j < widths.length) {
          const cellw = Math.ceil(widths[j]! / TAB_WIDTH) * TAB_WIDTH;
          s += '\t'.repeat(Math.ceil((cellw - runeCount(c)) / TAB_WIDTH));
        } else if (j < cells.length - 1) s += '\t';
      });
      out.push(s);
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    let start = line0;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t]!.length - 1) continue;
      writeLines(start, t);
      start = t;
      let width = 0;
      for (; t < line1; t++) {
        const cells = lines[t]!;
        if (column >= cells.length - 1) break;
        width = Math.max(width, runeCount(cells[column]!) + PADDING);
      }
      widths.push(width);
      format(start, t);
      widths.pop();
      start = t;
      t--;
    }
    writeLines(start, line1);
  };

  format(0, lines.length);
  return out.join('\n');
}
