// Flags with pflag's semantics, as cobra-based etcdctl parses them. The forms a user
// types (`--x=v`, `--x v`, `-w json`, `-wjson`, `-w=json`, `--bool`, `--bool=false`,
// `--` ending flags), the values Go accepts (strconv, time.ParseDuration, CSV string
// slices that append when repeated) and the error texts are etcdctl's interface:
// scripts match on them, so each is copied from what the real one prints.

import { byteStringBytes } from '../../pkg/byte-string.js';
import { goQuoteRune, goQuoteText } from '../../pkg/go-quote.js';

export type FlagKind = 'bool' | 'string' | 'int' | 'uint' | 'duration' | 'strings';

export interface FlagDef {
  name: string;
  /** One-letter shorthand (`-w`). */
  short?: string;
  kind: FlagKind;
  /** The default as pflag prints it in help (`2s`, `127.0.0.1:2379`, `false`). */
  default: string;
  usage: string;
}

/** A flag error cobra answers with the command's usage and exit code 1. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

export function flag(name: string, kind: FlagKind, def: string, usage: string, short?: string): FlagDef {
  return { name, kind, default: def, usage, ...(short ? { short } : {}) };
}

const GO_BOOL = /^(1|0|t|f|T|F|true|false|TRUE|FALSE|True|False)$/;

export function parseGoBool(v: string): boolean | undefined {
  if (!GO_BOOL.test(v)) return undefined;
  return /^(1|t|T|true|TRUE|True)$/.test(v);
}

const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/**
 * strconv.ParseInt(s, 0, 64) (decimal, 0x hex, 0o/0 octal, 0b binary, underscores after
 * a prefix), or with base 16 strconv.ParseInt(s, 16, 64). Returns Go's error text on failure.
 */
export function parseGoInt(s: string, unsigned = false, base: 0 | 10 | 16 = 0): bigint | string {
  const fn = unsigned ? 'ParseUint' : 'ParseInt';
  const syntax = `strconv.${fn}: parsing ${goQuoteText(s)}: invalid syntax`;
  if (base === 16) {
    const h = /^([+-]?)([0-9a-fA-F]+)$/.exec(s);
    if (!h) return syntax;
    const v = BigInt(`0x${h[2]}`) * (h[1] === '-' ? -1n : 1n);
    if (v > INT64_MAX || v < -INT64_MAX - 1n) return `strconv.${fn}: parsing ${goQuoteText(s)}: value out of range`;
    return v;
  }
  if (base === 10) {
    const d = /^([+-]?)([0-9]+)$/.exec(s);
    if (!d) return syntax;
    const v = BigInt(d[2]!) * (d[1] === '-' ? -1n : 1n);
    if (v > INT64_MAX || v < -INT64_MAX - 1n) return `strconv.${fn}: parsing ${goQuoteText(s)}: value out of range`;
    return v;
  }
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]*|[1-9][0-9]*|0)$/.exec(s);
  if (!m || (unsigned && m[1] !== '')) return syntax;
  let body = m[2]!;
  if (body.includes('_') && !/^0[xXbBoO]?/.test(body)) return syntax;
  body = body.replace(/_/g, '');
  let v: bigint;
  if (/^0[0-7]+$/.test(body)) v = BigInt(`0o${body.slice(1)}`);
  else v = BigInt(body);
  if (m[1] === '-') v = -v;
  const max = unsigned ? UINT64_MAX : INT64_MAX;
  if (v > max || v < -INT64_MAX - 1n) return `strconv.${fn}: parsing ${goQuoteText(s)}: value out of range`;
  return v;
}

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** time.ParseDuration, in nanoseconds, or Go's error text. */
export function parseGoDuration(s: string): number | string {
  const quoted = goQuoteText(s);
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest[0] === '-' ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return `time: invalid duration ${quoted}`;
  let total = 0;
  while (rest !== '') {
    const num = /^(\d*)(\.(\d*))?/.exec(rest)!;
    if (num[0] === '' || num[0] === '.') return `time: invalid duration ${quoted}`;
    rest = rest.slice(num[0].length);
    const unit = /^[^\d.]*/.exec(rest)![0];
    if (unit === '') return `time: missing unit in duration ${quoted}`;
    const mult = UNIT_NS[unit];
    if (mult === undefined) return `time: unknown unit ${goQuoteText(unit)} in duration ${quoted}`;
    total += Number(num[0]) * mult;
    rest = rest.slice(unit.length);
  }
  return sign * total;
}

/** encoding/csv's reading of one line, as pflag's string slices use it. */
function readCsv(v: string): string[] {
  if (v === '') return [];
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (v[i] === '"') {
      i++;
      for (; i < v.length; i++) {
        if (v[i] === '"') {
          if (v[i + 1] === '"') {
            field += '"';
            i++;
          } else {
            i++;
            break;
          }
        } else field += v[i];
      }
      while (i < v.length && v[i] !== ',') field += v[i++];
    } else {
      while (i < v.length && v[i] !== ',') field += v[i++];
    }
    out.push(field);
    if (i >= v.length) return out;
    i++;
  }
}

/** The parsed value of every flag of one command, with pflag's "changed" bit. */
export class FlagValues {
  private readonly values = new Map<string, string | string[]>();
  private readonly changed = new Set<string>();
  /** pflag's ArgsLenAtDash: positional arguments before a "--", or -1 without one. */
  argsLenAtDash = -1;

  constructor(readonly defs: FlagDef[]) {
    for (const d of defs) this.values.set(d.name, d.kind === 'strings' ? readCsv(d.default) : d.default);
  }

  def(name: string): FlagDef | undefined {
    return this.defs.find((d) => d.name === name);
  }

  /** pflag's Set: checks the value; a string slice's first Set replaces the default, later ones append. */
  set(name: string, value: string): void {
    const d = this.def(name);
    if (!d) throw new FlagError(`no such flag -${name}`);
    const bad = (why: string) => new FlagError(`invalid argument ${goQuoteText(value)} for "${d.short ? `-${d.short}, ` : ''}--${d.name}" flag: ${why}`);
    switch (d.kind) {
      case 'bool':
        if (parseGoBool(value) === undefined) throw bad(`strconv.ParseBool: parsing ${goQuoteText(value)}: invalid syntax`);
        break;
      case 'int':
      case 'uint': {
        const r = parseGoInt(value, d.kind === 'uint');
        if (typeof r === 'string') throw bad(r);
        break;
      }
      case 'duration': {
        const r = parseGoDuration(value);
        if (typeof r === 'string') throw bad(r);
        break;
      }
    }
    if (d.kind === 'strings') {
      const prev = this.changed.has(name) ? (this.values.get(name) as string[]) : [];
      this.values.set(name, [...prev, ...readCsv(value)]);
    } else this.values.set(name, value);
    this.changed.add(name);
  }

  isChanged(name: string): boolean {
    return this.changed.has(name);
  }

  string(name: string): string {
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`flag accessed but not defined: ${name}`);
    return Array.isArray(v) ? v.join(',') : v;
  }

  strings(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : v === undefined ? [] : [v];
  }

  bool(name: string): boolean {
    return parseGoBool(this.string(name)) ?? false;
  }

  int(name: string): bigint {
    const r = parseGoInt(this.string(name));
    return typeof r === 'string' ? 0n : r;
  }

  durationMs(name: string): number {
    const r = parseGoDuration(this.string(name));
    return typeof r === 'string' ? 0 : r / 1e6;
  }

  /** The value as pflag's Value.String() prints it (`[a,b]` for slices). */
  display(name: string): string {
    const v = this.values.get(name);
    return Array.isArray(v) ? `[${v.join(',')}]` : (v ?? '');
  }
}

/**
 * pflag's FlagSet.Parse over `args` (command words already removed): returns the
 * positional arguments. Throws FlagError with pflag's message on the first bad flag.
 */
export function parseFlags(args: string[], values: FlagValues): string[] {
  const byName = new Map(values.defs.map((d) => [d.name, d]));
  const byShort = new Map(values.defs.filter((d) => d.short).map((d) => [d.short!, d]));
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      values.argsLenAtDash = positional.length;
      positional.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (name === '' || name.startsWith('-') || name.startsWith('=')) throw new FlagError(`bad flag syntax: ${a}`);
      const d = byName.get(name);
      if (!d) throw new FlagError(`unknown flag: --${name}`);
      if (eq >= 0) values.set(name, a.slice(eq + 1));
      else if (d.kind === 'bool') values.set(name, 'true');
      else if (i + 1 < args.length) values.set(name, args[++i]!);
      else throw new FlagError(`flag needs an argument: ${a}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      // A group of shorthands: booleans may share a dash (-hv); a value-taking one ends the group.
      let rest = a.slice(1);
      while (rest !== '') {
        const c = rest[0]!;
        const d = byShort.get(c);
        // pflag looks at one byte and quotes it as a rune (0xff is 'ÿ'), then the group's rest.
        if (!d) throw new FlagError(`unknown shorthand flag: ${goQuoteRune(byteStringBytes(rest)[0]!)} in -${rest}`);
        const after = rest.slice(1);
        if (after.startsWith('=')) {
          values.set(d.name, after.slice(1));
          rest = '';
        } else if (d.kind === 'bool') {
          values.set(d.name, 'true');
          rest = after;
        } else if (after !== '') {
          values.set(d.name, after);
          rest = '';
        } else if (i + 1 < args.length) {
          values.set(d.name, args[++i]!);
          rest = '';
        } else throw new FlagError(`flag needs an argument: '${c}' in -${c}`);
      }
      continue;
    }
    positional.push(a);
  }
  return positional;
}
