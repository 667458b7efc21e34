// Go's `%q` verb of fmt.Sscanf for a double-quoted string, which etcdctl uses for txn
// compares and the quoted words of txn and watch --interactive lines. fmt reads the
// input rune by rune (an invalid UTF-8 byte reads as U+FFFD), then strconv.Unquote
// resolves the escapes; \x and octal escapes give single bytes, so the result is bytes.

import { byteStringBytes, byteStringRunes } from '../../pkg/byte-string.js';

/** strconv.ErrSyntax's text, which Sscanf reports for a bad escape. */
export const GO_INVALID_SYNTAX = 'invalid syntax';

const SIMPLE_ESCAPES: Record<string, number> = { a: 0x07, b: 0x08, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b, '\\': 0x5c, '"': 0x22 };
const HEX = /^[0-9a-fA-F]+$/;
const OCTAL = /^[0-7]{3}$/;

/**
 * strconv.Unquote of what lies between double quotes (a byte string, already read rune
 * by rune), or undefined when Go would call it invalid syntax.
 */
export function goUnquoteBody(body: string): Buffer | undefined {
  const out: Buffer[] = [];
  let i = 0;
  let plainFrom = 0;
  const flushPlain = (end: number) => {
    if (end > plainFrom) out.push(byteStringBytes(body.slice(plainFrom, end)));
  };
  while (i < body.length) {
    const c = body[i]!;
    if (c === '"' || c === '\n') return undefined;
    if (c !== '\\') {
      i++;
      continue;
    }
    flushPlain(i);
    const e = body[i + 1];
    if (e === undefined) return undefined;
    if (e in SIMPLE_ESCAPES) {
      out.push(Buffer.from([SIMPLE_ESCAPES[e]!]));
      i += 2;
    } else if (e === 'x') {
      const h = body.slice(i + 2, i + 4);
      if (h.length !== 2 || !HEX.test(h)) return undefined;
      out.push(Buffer.from([parseInt(h, 16)]));
      i += 4;
    } else if (e >= '0' && e <= '7') {
      const o = body.slice(i + 1, i + 4);
      if (!OCTAL.test(o) || parseInt(o, 8) > 0xff) return undefined;
      out.push(Buffer.from([parseInt(o, 8)]));
      i += 4;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const h = body.slice(i + 2, i + 2 + n);
      if (h.length !== n || !HEX.test(h)) return undefined;
      const cp = parseInt(h, 16);
      // utf8.ValidRune: no surrogates, nothing past U+10FFFF.
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
      out.push(Buffer.from(String.fromCodePoint(cp), 'utf8'));
      i += 2 + n;
    } else {
      return undefined; // includes \' , which only single-quoted Go literals allow
    }
    plainFrom = i;
  }
  flushPlain(i);
  return Buffer.concat(out);
}

/**
 * Sscanf's "%q" at the start of `input` (after spaces): the unquoted bytes and the input
 * left after the closing quote, or undefined when no double-quoted string is there.
 * A bad escape is `syntax: true` (Sscanf's "invalid syntax" error).
 */
export function scanGoQuoted(input: string): { bytes: Buffer; rest: string } | { syntax: true } | undefined {
  const runes = byteStringRunes(input);
  const m = /^[ \t\r\n\f\v\u0085\u00a0]*"((?:[^"\\]|\\[^])*)"/.exec(runes);
  if (!m) return undefined;
  const bytes = goUnquoteBody(m[1]!);
  if (bytes === undefined) return { syntax: true };
  return { bytes, rest: runes.slice(m[0].length) };
}
