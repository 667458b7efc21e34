// A command-line parser with the semantics and the error text of Go's `flag` package
// (FlagSet with ContinueOnError), which etcd's server uses. Forms: `-name v`,
// `--name v`, `-name=v`, `--name=v`; boolean flags as `--x` or `--x=false` (never
// `--x false`); parsing stops at the first non-flag argument, at a lone `-`, or after
// `--`. The first error ends parsing. Operators' scripts depend on both the forms and
// the messages, e.g. `flag provided but not defined: -bogus`.
//
// Arguments may be byte strings (./byte-string.ts), so that a value quoted in an error
// shows its invalid UTF-8 bytes as Go does ("\xff"); values reach the flags' `parse`
// decoded as Node would have decoded them.

import { byteStringText } from './byte-string.js';
import { goQuoteText } from './go-quote.js';

/** One flag: how its text becomes a value. `parse` throws an Error whose message Go would print. */
export interface GoFlagDef<T = unknown> {
  name: string;
  defaultValue: T;
  /** Boolean flags take no separate argument (`--x` means `--x=true`). */
  isBool?: boolean;
  /** Turns text into a value; `current` lets list flags accumulate if they want to. */
  parse(text: string, current: T): T;
}

export class GoFlagError extends Error {
  constructor(
    message: string,
    /** True for -h/-help/--help: Go prints the usage and reports flag.ErrHelp. */
    readonly help = false,
  ) {
    super(message);
    this.name = 'GoFlagError';
  }
}

export class GoFlagSet {
  private readonly defs = new Map<string, GoFlagDef>();
  private readonly values = new Map<string, unknown>();
  /** Flags set explicitly, in the order they were first set (Go's `actual`). */
  readonly actual = new Set<string>();
  /** Arguments left after the flags. */
  args: string[] = [];

  constructor(defs: Iterable<GoFlagDef>) {
    for (const d of defs) {
      if (this.defs.has(d.name)) throw new Error(`flag redefined: ${d.name}`);
      this.defs.set(d.name, d);
      this.values.set(d.name, d.defaultValue);
    }
  }

  has(name: string): boolean {
    return this.defs.has(name);
  }

  /** All flag names in lexical order, as Go's VisitAll walks them. */
  names(): string[] {
    return [...this.defs.keys()].sort();
  }

  get<T>(name: string): T {
    if (!this.defs.has(name)) throw new Error(`no such flag -${name}`);
    return this.values.get(name) as T;
  }

  isSet(name: string): boolean {
    return this.actual.has(name);
  }

  /** FlagSet.Set: parse `text` into the flag. Throws the value's own error message. */
  set(name: string, text: string): void {
    const def = this.defs.get(name);
    if (!def) throw new Error(`no such flag -${name}`);
    this.values.set(name, def.parse(byteStringText(text), this.values.get(name)));
    this.actual.add(name);
  }

  /** FlagSet.Parse. Throws GoFlagError with Go's first line of output. */
  parse(argv: readonly string[]): void {
    let rest = [...argv];
    for (;;) {
      const s = rest[0];
      if (s === undefined || s.length < 2 || s[0] !== '-') break;
      let minuses = 1;
      if (s[1] === '-') {
        minuses = 2;
        if (s.length === 2) {
          rest = rest.slice(1); // "--" ends the flags
          break;
        }
      }
      let name = s.slice(minuses);
      if (name.length === 0 || name[0] === '-' || name[0] === '=') throw new GoFlagError(`bad flag syntax: ${s}`);
      rest = rest.slice(1);
      let value: string | undefined;
      const eq = name.indexOf('=', 1);
      if (eq > 0) {
        value = name.slice(eq + 1);
        name = name.slice(0, eq);
      }
      const def = this.defs.get(name);
      if (!def) {
        if (name === 'help' || name === 'h') throw new GoFlagError('flag: help requested', true);
        throw new GoFlagError(`flag provided but not defined: -${name}`);
      }
      if (def.isBool) {
        try {
          this.set(name, value ?? 'true');
        } catch (err) {
          throw new GoFlagError(
            value !== undefined
              ? `invalid boolean value ${goQuoteText(value)} for -${name}: ${(err as Error).message}`
              : `invalid boolean flag ${name}: ${(err as Error).message}`,
          );
        }
        continue;
      }
      if (value === undefined) {
        if (rest.length === 0) throw new GoFlagError(`flag needs an argument: -${name}`);
        value = rest[0]!;
        rest = rest.slice(1);
      }
      try {
        this.set(name, value);
      } catch (err) {
        throw new GoFlagError(`invalid value ${goQuoteText(value)} for flag -${name}: ${(err as Error).message}`);
      }
    }
    this.args = rest;
  }
}

