// etcdctl's command tree with cobra's semantics: finding the command named by the
// leading words (flags stripped the way cobra strips them, unique prefixes accepted as
// etcdctl enables cobra's prefix matching), help for commands without a Run, and
// "Did you mean this?" suggestions in the order the commands were added.

import type { FlagDef, FlagValues } from './flags.js';

/** Everything a command's run needs; built by main-etcdctl after flags are parsed. */
export interface RunContext {
  /** The found command's path below the root, e.g. ['endpoint', 'status']. */
  path: string[];
  args: string[];
  flags: FlagValues;
}

export interface CommandDef {
  name: string;
  short: string;
  /** cobra's Use without the name, e.g. '[options] <key> [range_end]'. */
  use?: string;
  long?: string;
  flags?: FlagDef[];
  /** Flags every subcommand inherits (endpoint's --cluster). */
  persistentFlags?: FlagDef[];
  subcommands?: CommandDef[];
  /** Absent for groups: cobra prints their help. Returns the exit code. */
  run?: (ctx: RunContext) => Promise<number>;
}

/** cobra's SuggestionsMinimumDistance. */
const SUGGESTION_DISTANCE_MAX = 2;

export function isRunnable(c: CommandDef): boolean {
  return c.run !== undefined;
}

/** Flags the command's own flag set holds at parse time: local, inherited persistent, help. */
export function commandFlags(chain: CommandDef[], rootPersistent: FlagDef[], helpFor: string): { local: FlagDef[]; inherited: FlagDef[] } {
  const leaf = chain[chain.length - 1]!;
  const help: FlagDef = { name: 'help', short: 'h', kind: 'bool', default: 'false', usage: `help for ${helpFor}` };
  const local = [...(leaf.flags ?? []), ...(leaf.persistentFlags ?? []), help];
  const inherited = [...rootPersistent, ...chain.slice(0, -1).flatMap((c) => c.persistentFlags ?? [])];
  if (chain.length === 1) return { local: [...local, ...rootPersistent], inherited: [] };
  return { local, inherited };
}

function isBoolFlag(name: string, flags: FlagDef[], short: boolean): boolean {
  return flags.some((f) => (short ? f.short === name : f.name === name) && f.kind === 'bool');
}

/** cobra's stripFlags: the words left after removing flags and the values they take. */
export function stripFlags(args: string[], flags: FlagDef[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const s = args[i]!;
    if (s === '--') break;
    const longWithValue = s.startsWith('--') && !s.includes('=') && !isBoolFlag(s.slice(2), flags, false);
    const shortWithValue = !s.startsWith('--') && s.startsWith('-') && !s.includes('=') && s.length === 2 && !isBoolFlag(s.slice(1), flags, true);
    if (longWithValue || shortWithValue) {
      // cobra stops looking when at most one word follows a value-taking flag.
      if (args.length - i - 1 <= 1) break;
      i++;
      continue;
    }
    if (s !== '' && !s.startsWith('-')) words.push(s);
  }
  return words;
}

function findNext(c: CommandDef, word: string): CommandDef | undefined {
  const subs = c.subcommands ?? [];
  const exact = subs.find((s) => s.name === word);
  if (exact) return exact;
  const prefixed = subs.filter((s) => s.name.startsWith(word));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** cobra's Find: the chain of commands from the root, and args with the command words removed. */
export function findCommand(root: CommandDef, args: string[], flagsAt: (chain: CommandDef[]) => FlagDef[]): { chain: CommandDef[]; args: string[] } {
  const chain = [root];
  let rest = [...args];
  for (;;) {
    const words = stripFlags(rest, flagsAt(chain));
    if (words.length === 0) break;
    const next = findNext(chain[chain.length - 1]!, words[0]!);
    if (!next) break;
    chain.push(next);
    const at = rest.indexOf(words[0]!);
    rest = [...rest.slice(0, at), ...rest.slice(at + 1)];
  }
  return { chain, args: rest };
}

/**
 * Levenshtein distance, case-insensitive, over UTF-8 bytes as cobra computes it for
 * suggestions ("–version" with an en dash is 3 edits from "version", so no suggestion).
 */
function distance(sa: string, sb: string): number {
  const a = Buffer.from(sa.toLowerCase());
  const b = Buffer.from(sb.toLowerCase());
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
    }
  }
  return d[a.length]![b.length]!;
}

export function suggestionsFor(root: CommandDef, typed: string): string[] {
  return (root.subcommands ?? [])
    .filter((c) => distance(typed, c.name) <= SUGGESTION_DISTANCE_MAX || c.name.toLowerCase().startsWith(typed.toLowerCase()))
    .map((c) => c.name);
}

/** Every runnable command below `c`, with its path below `c`, sorted by name at each level. */
export function runnableDescendants(c: CommandDef, prefix: string[] = []): { path: string[]; cmd: CommandDef }[] {
  const subs = [...(c.subcommands ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return subs.flatMap((s) => [...(isRunnable(s) ? [{ path: [...prefix, s.name], cmd: s }] : []), ...runnableDescendants(s, [...prefix, s.name])]);
}
