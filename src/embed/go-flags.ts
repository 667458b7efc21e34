// A command-line parser with the semantics and messages of Go's `flag` package, which
// etcd's server uses: `-name v`, `--name v`, `-name=v`, `--name=v`; booleans as `--x`
// or `--x=false`; parsing stops at the first non-flag argument or `--`. Values may also
// come from `ETCD_<NAME>` environment variables when the flag is not on the command line.
// Operators' scripts depend on these forms and on the error text, so they are kept exact.

export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

export interface FlagSpec {
  name: string;
  usage: string;
  /** Default as text, parsed like a command-line value. */
  default: string;
  kind: 'string' | 'bool' | 'int' | 'uint' | 'duration' | 'float';
  /** Extra validation; throws an Error whose message follows "invalid value ... :". */
  validate?: (value: string) => void;
}

export interface ParsedFlags {
  values: Map<string, string>;
  /** Flags set explicitly (command line or environment). */
  set: Set<string>;
  args: string[];
  warnings: string[];
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration ("100ms", "1h30m", "0") into milliseconds. */
export function parseGoDuration(text: string): number {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let sign = 1;
  if (text.startsWith('-')) {
    sign = -1;
    pos = 1;
  }
  re.lastIndex = pos;
  let matched = false;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    pos = re.lastIndex;
    matched = true;
  }
  if (!matched || pos !== text.length) throw new Error('parse error');
  return sign * total;
}

function checkValue(spec: FlagSpec, value: string): void {
  switch (spec.kind) {
    case 'bool':
      if (!/^(1|0|t|f|T|F|true|false|TRUE|FALSE|True|False)$/.test(value)) throw new Error('parse error');
      break;
    case 'int':
      if (!/^[+-]?\d+$/.test(value)) throw new Error('parse error');
      break;
    case 'uint':
      if (!/^\+?\d+$/.test(value)) throw new Error('parse error');
      break;
    case 'float':
      if (!Number.isFinite(Number(value)) || value.trim() === '') throw new Error('parse error');
      break;
    case 'duration':
      parseGoDuration(value);
      break;
  }
  spec.validate?.(value);
}

export function boolValue(v: string): boolean {
  return /^(1|t|T|true|TRUE|True)$/.test(v);
}

function envName(flag: string): string {
  return `ETCD_${flag.toUpperCase().replace(/-/g, '_')}`;
}

export function parseGoFlags(specs: FlagSpec[], argv: string[], env: NodeJS.ProcessEnv, envPrefix = 'ETCD_'): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map(specs.map((s) => [s.name, s.default]));
  const set = new Set<string>();
  const warnings: string[] = [];
  const assign = (spec: FlagSpec, value: string): void => {
    try {
      checkValue(spec, value);
    } catch (err) {
      throw new FlagError(`invalid value "${value}" for flag -${spec.name}: ${(err as Error).message}`);
    }
    values.set(spec.name, value);
    set.add(spec.name);
  };

  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.length < 2 || arg[0] !== '-') break;
    let body = arg.slice(1);
    if (body.startsWith('-')) {
      body = body.slice(1);
      if (body.length === 0) {
        i++; // "--" ends the flags
        break;
      }
    }
    if (body.length === 0 || body[0] === '-' || body[0] === '=') throw new FlagError(`bad flag syntax: ${arg}`);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = byName.get(name);
    if (!spec) {
      if (name === 'help' || name === 'h') throw new FlagError('help requested');
      throw new FlagError(`flag provided but not defined: -${name}`);
    }
    if (spec.kind === 'bool') {
      assign(spec, eq >= 0 ? body.slice(eq + 1) : 'true');
      continue;
    }
    if (eq >= 0) {
      assign(spec, body.slice(eq + 1));
      continue;
    }
    if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: -${name}`);
    assign(spec, argv[++i]!);
  }

  // Environment: used only for flags the command line did not set.
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith(envPrefix) || v === undefined) continue;
    const flag = k.slice(envPrefix.length).toLowerCase().replace(/_/g, '-');
    const spec = byName.get(flag);
    if (!spec || envName(flag) !== k) {
      warnings.push(`unrecognized environment variable ${k}=${v}`);
      continue;
    }
    if (set.has(flag)) {
      warnings.push(`recognized environment variable ${k}, but unused: shadowed by corresponding flag`);
      continue;
    }
    try {
      checkValue(spec, v);
    } catch (err) {
      throw new FlagError(`invalid value "${v}" for ${k}: ${(err as Error).message}`);
    }
    values.set(flag, v);
    set.add(flag);
  }
  return { values, set, args: argv.slice(i), warnings };
}
