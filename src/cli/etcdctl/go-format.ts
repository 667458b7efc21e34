// Small formatting helpers that reproduce Go library output etcdctl prints.

import { isUtf8 } from 'node:buffer';
import { byteStringBytes, isEscapedByteAt, utf8SequenceLength } from './byte-string.js';

/** go-humanize's Bytes: SI units, one decimal below 10 ("4.1 kB", "20 kB"). */
export function humanizeBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  if (n < 10) return `${n} B`;
  const e = Math.floor(Math.log(n) / Math.log(1000));
  const val = Math.floor((n / 1000 ** e) * 10 + 0.5) / 10;
  return val < 10 ? `${goFixed(val, 1)} ${units[e]}` : `${goFixed(val, 0)} ${units[e]}`;
}

/** Go's %.Nf: rounds a tie to even ("%.0f" of 20.5 is "20"), where toFixed rounds it up. */
export function goFixed(x: number, digits: number): string {
  const scale = 10 ** digits;
  const scaled = x * scale;
  const floor = Math.floor(scaled);
  const diff = scaled - floor;
  const TIE_EPSILON = 1e-9;
  let r: number;
  if (Math.abs(diff - 0.5) < TIE_EPSILON) r = floor % 2 === 0 ? floor : floor + 1;
  else r = Math.round(scaled);
  return (r / scale).toFixed(digits);
}

/** Go's time.Duration String() for a duration in nanoseconds below an hour. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 1e3) return `${ns}ns`;
  const trim = (x: number) => String(Number(x.toFixed(9))).replace(/\.?0+$/, (m) => (m.startsWith('.') ? '' : m));
  if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6)}ms`;
  const s = ns / 1e9;
  if (s < 60) return `${trim(s)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${trim(s - m * 60)}s`;
}

/** etcdctl --hex: every byte as \xNN. */
export function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => `\\x${x.toString(16).padStart(2, '0')}`).join('');
}

const ASCII_ESCAPES: Record<number, string> = { 0x07: '\\a', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v', 0x22: '\\"', 0x5c: '\\\\' };
/** unicode.IsPrint: letters, marks, numbers, punctuation and symbols (and the ASCII space, handled apart). */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/**
 * Go's %q for a byte string (strconv.Quote): printable characters as they are; other
 * characters as \a..\v, \xNN, \uNNNN or \UNNNNNNNN; each byte of invalid UTF-8 as \xNN.
 */
export function goQuote(b: Uint8Array): string {
  let out = '"';
  const s = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (c < 0x80) {
      if (ASCII_ESCAPES[c] !== undefined) out += ASCII_ESCAPES[c];
      else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
      else out += `\\x${c.toString(16).padStart(2, '0')}`;
      i++;
      continue;
    }
    const n = utf8SequenceLength(s, i);
    if (n === 0) {
      out += `\\x${c.toString(16).padStart(2, '0')}`;
      i++;
      continue;
    }
    const ch = s.toString('utf8', i, i + n);
    const cp = ch.codePointAt(0)!;
    if (PRINTABLE.test(ch)) out += ch;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
    i += n;
  }
  return out + '"';
}

/** Go's %q of a rune (strconv.QuoteRune): 'x', '\\n', '\\x01', '\\u0085'. */
export function goQuoteRune(cp: number): string {
  if (cp === 0x27) return "'\\''";
  if (cp === 0x22) return `'"'`;
  if (cp < 0x80) return `'${goQuote(Buffer.from([cp])).slice(1, -1)}'`;
  return `'${goQuote(Buffer.from(String.fromCodePoint(cp), 'utf8')).slice(1, -1)}'`;
}

/** Go's %#q of a byte string: backquoted when strconv.CanBackquote allows, else %q. */
export function goBackquoteText(s: string): string {
  const b = byteStringBytes(s);
  const text = b.toString('utf8');
  // CanBackquote: valid UTF-8 without backquotes, U+FEFF or control characters other than tab.
  const backquotable = isUtf8(b) && !/[`\ufeff\x00-\x08\x0a-\x1f\x7f]/.test(text);
  return backquotable ? `\`${text}\`` : goQuote(b);
}

/**
 * A JSON string as Go 1.19's encoding/json writes one (etcdctl 3.4.23's Go): <, > and &
 * escaped for HTML, U+2028/U+2029 escaped, control characters as \\u00XX except \\n \\r
 * \\t, and each invalid UTF-8 byte of a byte string as \\ufffd.
 */
export function goJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    if (isEscapedByteAt(s, i)) out += '\\ufffd';
    else if (u === 0x22) out += '\\"';
    else if (u === 0x5c) out += '\\\\';
    else if (u === 0x0a) out += '\\n';
    else if (u === 0x0d) out += '\\r';
    else if (u === 0x09) out += '\\t';
    else if (u < 0x20 || u === 0x3c || u === 0x3e || u === 0x26 || u === 0x2028 || u === 0x2029) out += `\\u${u.toString(16).padStart(4, '0')}`;
    else out += s[i];
  }
  return out + '"';
}

/** goQuote of a byte string (an argument or flag value, see byte-string.ts). */
export function goQuoteText(s: string): string {
  return goQuote(byteStringBytes(s));
}

/** Go's %16x: hexadecimal, space-padded to 16 (membership confirmations print IDs so). */
export function hex16(id: bigint): string {
  return id.toString(16).padStart(16, ' ');
}
