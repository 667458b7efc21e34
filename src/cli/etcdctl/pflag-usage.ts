// cobra's default usage text with pflag's FlagUsages, which etcdctl prints for the put, get
// and del commands it builds inside `txn` when a line's flags do not parse (etcdctl's own
// commands use its NAME/USAGE/OPTIONS template instead, see usage.ts).

import type { FlagDef } from './flags.js';

/** pflag's type word after the flag name ("" for booleans). */
function typeWord(f: FlagDef): string {
  if (f.kind === 'bool') return '';
  if (f.kind === 'strings') return 'strings';
  return f.kind;
}

function isZeroDefault(f: FlagDef): boolean {
  if (f.kind === 'bool') return f.default === 'false';
  if (f.kind === 'string') return f.default === '';
  if (f.kind === 'strings') return f.default === '' || f.default === '[]';
  return f.default === '0';
}

/** pflag's FlagUsages: names and types padded to one column, then the usage and a non-zero default. */
export function pflagUsages(flags: FlagDef[]): string {
  const sorted = [...flags].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rows = sorted.map((f) => {
    let head = f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
    const word = typeWord(f);
    if (word) head += ` ${word}`;
    let usage = f.usage;
    if (!isZeroDefault(f)) usage += f.kind === 'string' ? ` (default ${JSON.stringify(f.default)})` : ` (default ${f.default})`;
    return { head, usage };
  });
  const width = Math.max(...rows.map((r) => r.head.length));
  return rows.map((r) => `${r.head}${' '.repeat(width - r.head.length)}   ${r.usage}\n`).join('');
}

/** cobra's UsageString for a command without subcommands or inherited flags, plus the newline cobra's Println adds. */
export function cobraUsage(use: string, flags: FlagDef[], commandName: string): string {
  const all: FlagDef[] = [...flags, { name: 'help', kind: 'bool', default: 'false', usage: `help for ${commandName}`, short: 'h' }];
  return `Usage:\n   ${use} [flags]\n\nFlags:\n${pflagUsages(all)}\n`;
}
