// etcdctl's help text (its cobra template): NAME, USAGE, DESCRIPTION, OPTIONS and GLOBAL
// OPTIONS, flags aligned with tabs the way Go's tabwriter aligns them (tab stops every 8
// columns, one column of padding). Printed for --help and after flag errors.

import type { CtlFlag } from './pflag.js';

export interface CommandHelp {
  short: string;
  use: string;
  long?: string;
  /** Flags inherited from a parent command (listed with the global options). */
  inherited?: CtlFlag[];
}

const TAB_WIDTH = 8;

function flagText(f: CtlFlag): string {
  const lead = f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
  switch (f.kind) {
    case 'bool':
      return `${lead}[=${f.default}]`;
    case 'string':
      return `${lead}="${f.default}"`;
    case 'strings':
      return `${lead}=[${f.default}]`;
    default:
      return `${lead}=${f.default}`;
  }
}

/** Aligns "flag\tusage" rows: each flag cell padded with tabs to a common tab stop. */
function flagRows(flags: CtlFlag[]): string {
  const rows = [...flags].filter((f) => !f.hidden).sort((a, b) => a.name.localeCompare(b.name)).map((f) => ({ cell: flagText(f), usage: f.usage }));
  const width = Math.max(...rows.map((r) => r.cell.length)) + 1;
  const stop = Math.ceil(width / TAB_WIDTH) * TAB_WIDTH;
  return rows.map((r) => `${r.cell}${'\t'.repeat(Math.ceil((stop - r.cell.length) / TAB_WIDTH))}${r.usage}\n`).join('');
}

export function renderUsage(path: string[], help: CommandHelp, flags: CtlFlag[], globals: CtlFlag[]): string {
  const name = path.join(' ');
  const helpFlag: CtlFlag = { name: 'help', short: 'h', kind: 'bool', default: 'false', usage: `help for ${path[path.length - 1]}` };
  let out = `NAME:\n\t${name} - ${help.short}\n\nUSAGE:\n\tetcdctl ${help.use} [flags]\n`;
  if (help.long) out += `\nDESCRIPTION:\n${help.long.split('\n').map((l) => `\t${l}`).join('\n')}\n`;
  out += `\nOPTIONS:\n${flagRows([...flags, helpFlag])}`;
  out += `\nGLOBAL OPTIONS:\n${flagRows([...globals.filter((g) => g.name !== 'help'), ...(help.inherited ?? [])])}\n`;
  return out;
}
