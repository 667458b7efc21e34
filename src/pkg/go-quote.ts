// Go's %q and %#q verbs (strconv.Quote, QuoteRune and the backquoted form), which both
// etcd's flag errors ("invalid value %q for flag -x") and etcdctl's output use. Go
// quotes bytes: printable text stays as it is, control characters and DEL get escapes,
// and each byte of invalid UTF-8 shows as \xNN, so callers hand over bytes or byte
// strings (./byte-string.ts) rather than text already decoded by Node.

import { isUtf8 } from 'node:buffer';
import { byteStringBytes, utf8SequenceLength } from './byte-string.js';

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

/** goQuote of a byte string (an argument or flag value, see byte-string.ts). */
export function goQuoteText(s: string): string {
  return goQuote(byteStringBytes(s));
}
