// etcdctl's help text: its own cobra template (NAME, USAGE, VERSION, API VERSION,
// COMMANDS, DESCRIPTION, OPTIONS, GLOBAL OPTIONS), flag lines in etcdctl's format
// (`--x[=false]` for booleans, `--x=""` for strings, `--x=[a]` for slices), all passed
// through Go's tabwriter. Printed for --help, for groups, and after flag errors.

import type { FlagDef } from './flags.js';
import { runnableDescendants, type CommandDef } from './command-tree.js';
import { tabwrite } from './tabwriter.js';

export const CTL_VERSION = '3.4.23';
export const CTL_API_VERSION = '3.4';

function flagLine(f: FlagDef): string {
  const lead = f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
  switch (f.kind) {
    case 'bool':
      return `${lead}[=${f.default}]\t${f.usage}`;
    case 'string':
      return `${lead}="${f.default}"\t${f.usage}`;
    case 'strings':
      return `${lead}=[${f.default}]\t${f.usage}`;
    default:
      return `${lead}=${f.default}\t${f.usage}`;
  }
}

function flagLines(flags: FlagDef[]): string {
  const byName = new Map(flags.map((f) => [f.name, f]));
  return [...byName.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => flagLine(f) + '\n')
    .join('');
}

export interface HelpInput {
  /** From the root: [root, ..., command]. */
  chain: CommandDef[];
  local: FlagDef[];
  inherited: FlagDef[];
}

/** The help text exactly as etcdctl prints it (ends with one blank line). */
export function renderHelp({ chain, local, inherited }: HelpInput): string {
  const cmd = chain[chain.length - 1]!;
  const isRoot = chain.length === 1;
  const name = isRoot ? cmd.name : chain.slice(1).map((c) => c.name).join(' ');
  const useLine = `${chain.slice(0, -1).map((c) => c.name).concat(cmd.name + (cmd.use ? ` ${cmd.use}` : '')).join(' ')} [flags]`;
  let t = `NAME:\n\t${name} - ${cmd.short}\n\nUSAGE:\n\t${useLine}\n\n`;
  if (isRoot) t += `VERSION:\n\t${CTL_VERSION}\n\n`;
  const subs = cmd.subcommands ?? [];
  if (subs.length > 0) {
    t += `API VERSION:\n\t${CTL_API_VERSION}\n\n\nCOMMANDS:\n`;
    for (const d of runnableDescendants(cmd)) t += `\t${d.path.join(' ')}\t${d.cmd.short}\n`;
    t += '\n';
  }
  // etcdctl splits the trimmed description into lines.
  if (cmd.long) t += `DESCRIPTION:\n${cmd.long.trim().split('\n').map((l) => `\t${l}\n`).join('')}\n`;
  if (local.length > 0) t += `OPTIONS:\n${flagLines(local)}\n`;
  if (inherited.length > 0) t += `GLOBAL OPTIONS:\n${flagLines(inherited)}\n`;
  return tabwrite(t);
}
