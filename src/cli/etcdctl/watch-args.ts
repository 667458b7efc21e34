// How etcdctl 3.4 turns watch's words into what to watch and what to run per event, both
// on the command line and for each `watch ...` line of --interactive. ETCDCTL_WATCH_KEY
// and ETCDCTL_WATCH_RANGE_END stand in for the key and range end. The error texts
// are etcdctl's (scripts match on them).

import { goQuoteText } from '../../pkg/go-quote.js';
import { CtlError, ExitCode } from './errors.js';
import { flag, FlagError, FlagValues, parseFlags } from './flags.js';

export const WATCH_FLAGS = [
  flag('interactive', 'bool', 'false', 'Interactive mode', 'i'),
  flag('prefix', 'bool', 'false', 'Watch on a prefix if prefix is set'),
  flag('prev-kv', 'bool', 'false', 'get the previous key-value pair before the event happens'),
  flag('rev', 'int', '0', 'Revision to start watching'),
];

const BAD_ARGS = 'bad number of arguments';
const BAD_ARGS_ENV = 'bad number of arguments (found conflicting environment key)';
const BAD_ARGS_SEPARATOR = 'bad number of arguments (found separator --, but no commands)';

const badArgs = (msg: string) => new CtlError(msg, ExitCode.BadArgs);

export interface WatchEnv {
  key: string;
  rangeEnd: string;
}

/** What to watch: words still unchecked (getWatchChan checks them) and the options. */
export interface WatchSpec {
  words: string[];
  exec: string[];
  prefix: boolean;
  prevKv: boolean;
  rev: bigint;
}

/** ETCDCTL_WATCH_RANGE_END alone is refused before anything else. */
export function checkWatchEnv(env: WatchEnv): void {
  if (env.key === '' && env.rangeEnd !== '') throw badArgs(`ETCDCTL_WATCH_KEY is empty but got ETCDCTL_WATCH_RANGE_END=${goQuoteText(env.rangeEnd)}`);
}

/**
 * Puts the environment's key in front, then drops what belongs to the command after
 * "--". etcdctl cuts at the last word equal to the command's name, so `watch k -- echo
 * echo` watches k to "echo": kept, as that is what users of 3.4 get.
 */
function finish(all: string[], exec: string[], hasSep: boolean, env: WatchEnv): string[] {
  let words = all;
  if (env.key !== '') words = [env.key, ...(env.rangeEnd !== '' ? [env.rangeEnd] : []), ...words];
  if (!hasSep) return words;
  const end = words.lastIndexOf(exec[0]!);
  return words.slice(0, Math.max(end, 0));
}

/** The command line: cobra's positional words, `dashAt` words before a "--" (or -1). */
export function parseCommandLine(args: string[], dashAt: number, env: WatchEnv): { words: string[]; exec: string[] } {
  const hasSep = dashAt >= 0;
  const before = hasSep ? args.slice(0, dashAt) : args;
  const exec = hasSep ? args.slice(dashAt) : [];
  if (hasSep && exec.length === 0) throw badArgs(BAD_ARGS_SEPARATOR);
  if (env.key !== '' && before.length > 0) throw badArgs(BAD_ARGS_ENV);
  return { words: finish(args, exec, hasSep, env), exec };
}

function watchLineFlags(words: string[]): { values: FlagValues; positional: string[] } {
  const values = new FlagValues(WATCH_FLAGS);
  // pflag answers an undefined --help or -h with ErrHelp (the flag set has no help flag).
  if (words.some((w) => w === '--help' || w === '-h')) throw badArgs('pflag: help requested');
  try {
    return { values, positional: parseFlags(words, values) };
  } catch (e) {
    if (e instanceof FlagError) throw badArgs(e.message);
    throw e;
  }
}

/** One `watch ...` line of --interactive, already split into words (args[0] is "watch"). */
export function parseInteractiveLine(args: string[], env: WatchEnv): WatchSpec {
  const rest = args.slice(1);
  const sepAt = rest.indexOf('--');
  const hasSep = sepAt >= 0;
  if (hasSep && sepAt === rest.length - 1) throw badArgs(BAD_ARGS_SEPARATOR);
  const { values, positional } = watchLineFlags(rest);
  if (!hasSep && env.key === '' && positional.length < 1) throw badArgs(BAD_ARGS);
  if (!hasSep && positional.length > 0 && env.key !== '') throw badArgs(BAD_ARGS_ENV);
  const exec = hasSep ? rest.slice(sepAt + 1) : [];
  return {
    words: finish(positional, exec, hasSep, env),
    exec,
    prefix: values.bool('prefix'),
    prevKv: values.bool('prev-kv'),
    rev: BigInt(values.int('rev')),
  };
}

/** getWatchChan's checks: a key is needed; a range end and --prefix exclude each other. */
export function watchRange(spec: Pick<WatchSpec, 'words' | 'prefix'>): { key: string; rangeEnd?: string } {
  const [key, rangeEnd] = spec.words;
  if (key === undefined) throw badArgs(BAD_ARGS);
  // Only exactly two words make a range; a third word is ignored, as etcdctl ignores it.
  if (spec.words.length === 2) {
    if (spec.prefix) throw badArgs('`range_end` and `--prefix` are mutually exclusive');
    return { key, rangeEnd: rangeEnd! };
  }
  return { key };
}
