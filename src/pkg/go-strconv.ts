// Go's number, boolean and duration syntax, as Go's `flag` package accepts it
// (strconv.ParseInt/ParseUint with base 0, strconv.ParseBool, time.ParseDuration).
// etcd's flags inherit this syntax, so `--snapshot-count 0x10` and `--heartbeat-interval
// 1_0` work on real etcd and must work here; errors name Go's two failure kinds.

/** Why a Go number parse failed: Go's strconv.ErrSyntax or strconv.ErrRange. */
export class GoNumError extends Error {
  constructor(
    readonly kind: 'syntax' | 'range',
    readonly fn: 'ParseInt' | 'ParseUint',
    readonly input: string,
  ) {
    // strconv.NumError's text, e.g. `strconv.ParseUint: parsing "abc": invalid syntax`.
    super(`strconv.${fn}: parsing ${JSON.stringify(input)}: ${kind === 'syntax' ? 'invalid syntax' : 'value out of range'}`);
    this.name = 'GoNumError';
  }
  /** The shorter text Go's flag package substitutes for built-in numeric flags. */
  get flagText(): string {
    return this.kind === 'syntax' ? 'parse error' : 'value out of range';
  }
}

const lower = (c: string): string => c.toLowerCase();

/** strconv's rule: with base 0, underscores may only separate digits (or follow a base prefix). */
function underscoreOk(text: string): boolean {
  let s = text;
  if (s.startsWith('-') || s.startsWith('+')) s = s.slice(1);
  let saw = '^';
  let i = 0;
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'box'.includes(lower(s[1]!))) {
    i = 2;
    saw = '0';
    hex = lower(s[1]!) === 'x';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= '0' && c <= '9') || (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** strconv.ParseUint(text, 0, bits) as a bigint. */
export function parseGoUint(text: string, bits = 64, fn: 'ParseInt' | 'ParseUint' = 'ParseUint', original = text): bigint {
  if (text === '') throw new GoNumError('syntax', fn, original);
  let s = text;
  let base = 10n;
  if (s[0] === '0') {
    if (s.length >= 3 && lower(s[1]!) === 'x') {
      base = 16n;
      s = s.slice(2);
    } else if (s.length >= 3 && lower(s[1]!) === 'o') {
      base = 8n;
      s = s.slice(2);
    } else if (s.length >= 3 && lower(s[1]!) === 'b') {
      base = 2n;
      s = s.slice(2);
    } else if (s.length >= 2) {
      base = 8n;
      s = s.slice(1);
    }
  }
  const max = (1n << BigInt(bits)) - 1n;
  let n = 0n;
  let underscores = false;
  for (const c of s) {
    if (c === '_') {
      underscores = true;
      continue;
    }
    const d = /[0-9]/.test(c) ? BigInt(c.charCodeAt(0) - 48) : /[a-z]/i.test(c) ? BigInt(lower(c).charCodeAt(0) - 87) : 99n;
    if (d >= base) throw new GoNumError('syntax', fn, original);
    n = n * base + d;
    if (n > max) throw new GoNumError('range', fn, original);
  }
  if (underscores && !underscoreOk(text)) throw new GoNumError('syntax', fn, original);
  return n;
}

/** strconv.ParseInt(text, 0, bits) as a bigint. */
export function parseGoInt(text: string, bits = 64): bigint {
  if (text === '') throw new GoNumError('syntax', 'ParseInt', text);
  const neg = text[0] === '-';
  const body = text[0] === '-' || text[0] === '+' ? text.slice(1) : text;
  const magnitude = parseGoUint(body, bits, 'ParseInt', text);
  const limit = 1n << BigInt(bits - 1);
  if (!neg && magnitude >= limit) throw new GoNumError('range', 'ParseInt', text);
  if (neg && magnitude > limit) throw new GoNumError('range', 'ParseInt', text);
  return neg ? -magnitude : magnitude;
}

const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseBool; throws on anything else. */
export function parseGoBool(text: string): boolean {
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(text)}: invalid syntax`);
}

/** Nanoseconds per Go duration unit. */
const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** time.ParseDuration ("1h30m", "250ms", "-1.5s", "0"), in milliseconds. */
export function parseGoDuration(text: string): number {
  const invalid = () => new Error(`time: invalid duration ${JSON.stringify(text)}`);
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s[0] === '-' ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let totalNs = 0;
  const re = /^(\d*)(?:\.(\d*))?([a-zµμ]*)/;
  while (s !== '') {
    const m = re.exec(s);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw invalid();
    const unit = m[3]!;
    if (unit === '') throw new Error(`time: missing unit in duration ${JSON.stringify(text)}`);
    const perUnit = UNIT_NS[unit];
    if (perUnit === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}`);
    totalNs += Number(`${m[1] || '0'}.${m[2] || '0'}`) * perUnit;
    s = s.slice(m[0].length);
  }
  return (sign * totalNs) / 1e6;
}

/** time.Duration.String() for a duration in milliseconds ("0s", "100ms", "1m0s", "2h0m0s"). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let ns = Math.round(Math.abs(ms) * 1e6);
  let out: string;
  if (ns < 1e9) {
    // Below a second Go picks the largest unit that keeps an integer part.
    out = ns < 1e3 ? `${ns}ns` : ns < 1e6 ? `${trim(ns / 1e3)}µs` : `${trim(ns / 1e6)}ms`;
  } else {
    const h = Math.floor(ns / 3600e9);
    ns -= h * 3600e9;
    const m = Math.floor(ns / 60e9);
    ns -= m * 60e9;
    const secs = `${trim(ns / 1e9)}s`;
    out = h > 0 ? `${h}h${m}m${secs}` : m > 0 ? `${m}m${secs}` : secs;
  }
  return neg ? `-${out}` : out;
}

function trim(n: number): string {
  return String(Number(n.toFixed(9)));
}
