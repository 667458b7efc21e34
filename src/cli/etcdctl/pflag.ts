// Command-line parsing with cobra/pflag semantics, as etcdctl uses: flags anywhere
// between arguments, `--flag=v`, `--flag v`, `-w v`, `-wjson`, booleans as `--x` or
// `--x=false`, `--` ending flags; global flags also from ETCDCTL_<FLAG> environment
// variables. Messages match pflag's, since scripts see them.

export type FlagKind = 'bool' | 'string' | 'int' | 'uint' | 'duration' | 'strings';

export interface CtlFlag {
  name: string;
  short?: string;
  kind: FlagKind;
  default: string;
  usage: string;
  /** Accepted but not listed in help (flags newer than etcdctl 3.4's help text). */
  hidden?: boolean;
}

export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A flag error cobra reports with the command's usage; `command` is known when one was named. */
export class FlagUsageError extends UsageError {
  constructor(
    message: string,
    readonly command: CommandSpec | undefined,
  ) {
    super(message, 1);
    this.name = 'FlagUsageError';
  }
}

export interface CommandSpec {
  path: string[];
  flags: CtlFlag[];
}

export interface ParsedCommand {
  command: CommandSpec;
  args: string[];
  values: Map<string, string>;
  set: Set<string>;
  /** Log lines (without timestamp) etcdctl prints on stderr before running. */
  warnings: string[];
}

/** A flag and an ETCDCTL_* variable set the same option: etcdctl 3.4 stops. */
export class EnvConflictError extends Error {
  constructor(readonly logLine: string) {
    super(logLine);
    this.name = 'EnvConflictError';
  }
}

function checkValue(flag: CtlFlag, value: string): void {
  const bad = (why: string) => new UsageError(`invalid argument "${value}" for "${flag.short ? `-${flag.short}, ` : ''}--${flag.name}" flag: ${why}`, 1);
  switch (flag.kind) {
    case 'bool':
      if (!/^(1|0|t|f|T|F|true|false|TRUE|FALSE|True|False)$/.test(value)) throw bad(`strconv.ParseBool: parsing "${value}": invalid syntax`);
      break;
    case 'int':
      if (!/^[+-]?\d+$/.test(value)) throw bad(`strconv.ParseInt: parsing "${value}": invalid syntax`);
      break;
    case 'uint':
      if (!/^\+?\d+$/.test(value)) throw bad(`strconv.ParseUint: parsing "${value}": invalid syntax`);
      break;
    case 'duration':
      if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$|^0$/.test(value)) throw bad(`time: invalid duration "${value}"`);
      break;
  }
}

export function boolFlag(v: string | undefined): boolean {
  return v !== undefined && /^(1|t|T|true|TRUE|True)$/.test(v);
}

/**
 * Parses argv against global flags and a command table. The command is the longest
 * run of leading positional words naming a command.
 */
export function parseCommandLine(argv: string[], globals: CtlFlag[], commands: CommandSpec[], env: NodeJS.ProcessEnv): ParsedCommand {
  const all = new Map<string, CtlFlag>();
  const shorts = new Map<string, CtlFlag>();
  for (const f of [...globals, ...commands.flatMap((c) => c.flags)]) {
    if (!all.has(f.name)) all.set(f.name, f);
    if (f.short && !shorts.has(f.short)) shorts.set(f.short, f);
  }
  const positional: string[] = [];
  const given: { flag: CtlFlag; value: string; spelled: string }[] = [];
  let flagError: string | undefined;
  const fail = (msg: string): void => {
    flagError ??= msg;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const flag = all.get(name);
      if (!flag) {
        fail(`unknown flag: --${name}`);
        continue;
      }
      if (eq >= 0) given.push({ flag, value: a.slice(eq + 1), spelled: `--${name}` });
      else if (flag.kind === 'bool') given.push({ flag, value: 'true', spelled: `--${name}` });
      else if (i + 1 < argv.length) given.push({ flag, value: argv[++i]!, spelled: `--${name}` });
      else fail(`flag needs an argument: --${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1 && a !== '-') {
      const c = a[1]!;
      const flag = shorts.get(c);
      if (!flag) {
        fail(`unknown shorthand flag: '${c}' in ${a}`);
        continue;
      }
      const rest = a.slice(2);
      if (flag.kind === 'bool') given.push({ flag, value: rest.startsWith('=') ? rest.slice(1) : 'true', spelled: `-${c}` });
      else if (rest !== '') given.push({ flag, value: rest.startsWith('=') ? rest.slice(1) : rest, spelled: `-${c}` });
      else if (i + 1 < argv.length) given.push({ flag, value: argv[++i]!, spelled: `-${c}` });
      else fail(`flag needs an argument: '${c}' in -${c}`);
      continue;
    }
    positional.push(a);
  }

  let command: CommandSpec | undefined;
  for (const c of commands) {
    if (c.path.length <= positional.length && c.path.every((w, i) => positional[i] === w)) {
      if (!command || c.path.length > command.path.length) command = c;
    }
  }
  if (flagError !== undefined) throw new FlagUsageError(flagError, command);
  if (!command) {
    const word = positional[0];
    if (word === undefined) throw new UsageError('no command', 0);
    throw new UsageError(`unknown command "${word}" for "etcdctl"\nRun 'etcdctl --help' for usage.\nError: unknown command "${word}" for "etcdctl"`, 1);
  }

  const allowed = new Set([...globals, ...command.flags].map((f) => f.name));
  const values = new Map<string, string>();
  for (const f of [...globals, ...command.flags]) values.set(f.name, f.default);
  const set = new Set<string>();
  for (const g of given) {
    if (!allowed.has(g.flag.name)) {
      throw new FlagUsageError(g.spelled.startsWith('--') ? `unknown flag: ${g.spelled}` : `unknown shorthand flag: '${g.flag.short}' in ${g.spelled}`, command);
    }
    try {
      checkValue(g.flag, g.value);
    } catch (err) {
      throw new FlagUsageError((err as Error).message, command);
    }
    values.set(g.flag.name, g.value);
    set.add(g.flag.name);
  }
  // ETCDCTL_<FLAG> applies to global flags the command line did not set. As etcdctl 3.4
  // does: a variable that a flag also sets is a fatal conflict, an unknown variable is a
  // warning, and a variable whose value does not parse is ignored.
  const warnings: string[] = [];
  const envNames = new Map(globals.map((f) => [`ETCDCTL_${f.name.toUpperCase().replace(/-/g, '_')}`, f]));
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('ETCDCTL_') || v === undefined || k === 'ETCDCTL_API') continue;
    const f = envNames.get(k);
    if (!f) {
      warnings.push(`W | pkg/flags: unrecognized environment variable ${k}=${v}`);
      continue;
    }
    if (set.has(f.name)) {
      throw new EnvConflictError(`C | pkg/flags: conflicting environment variable "${k}" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)`);
    }
    try {
      checkValue(f, v);
    } catch {
      continue;
    }
    values.set(f.name, v);
    set.add(f.name);
  }
  return { command, args: positional.slice(command.path.length), values, set, warnings };
}
