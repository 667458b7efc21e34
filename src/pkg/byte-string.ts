// Go's strings are bytes: etcdctl stores an argument, a flag value or a txn line exactly
// as the kernel handed it over, valid UTF-8 or not, and etcd quotes a bad flag value's
// very bytes in its error. JavaScript strings are UTF-16, and
// Node's UTF-8 decoding turns every invalid byte into U+FFFD, losing it for good.
//
// A "byte string" keeps such bytes: valid UTF-8 decodes as usual, and each byte that is
// not part of a valid sequence becomes the lone low surrogate U+DC00 + byte (the
// "surrogateescape" trick). Valid UTF-8 never yields a lone surrogate, so the mapping is
// reversible, and word splitting, flag parsing and comparisons keep working on it as on
// any string. `byteStringBytes` turns it back into the original bytes.

import { isUtf8 } from 'node:buffer';

const ESCAPE_BASE = 0xdc00;
/** Escaped bytes are 0x80..0xff (ASCII is always valid), so their code units are here. */
const ESCAPE_MIN = ESCAPE_BASE + 0x80;
const ESCAPE_MAX = ESCAPE_BASE + 0xff;
const ANY_SURROGATE = /[\ud800-\udfff]/;
const REPLACEMENT = Buffer.from('\ufffd');

/** The length of the valid UTF-8 sequence at b[i] (Go's utf8 rules: no overlongs, surrogates or > U+10FFFF), or 0. */
export function utf8SequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  const cont = (j: number, lo = 0x80, hi = 0xbf) => i + j < b.length && b[i + j]! >= lo && b[i + j]! <= hi;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c >= 0xe1 && c <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** Bytes as a byte string: invalid UTF-8 bytes survive as escapes. */
export function byteStringOf(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(b)) return b.toString('utf8');
  let out = '';
  let start = 0;
  let i = 0;
  while (i < b.length) {
    const n = utf8SequenceLength(b, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += b.toString('utf8', start, i) + String.fromCharCode(ESCAPE_BASE + b[i]!);
    i++;
    start = i;
  }
  return out + b.toString('utf8', start);
}

/** The bytes a byte string stands for; an ordinary string gives its UTF-8. */
export function byteStringBytes(s: string): Buffer {
  if (!ANY_SURROGATE.test(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    if (u < 0xd800 || u > 0xdfff) continue;
    if (u <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++; // a surrogate pair: an ordinary character beyond U+FFFF
        continue;
      }
    }
    parts.push(Buffer.from(s.slice(start, i), 'utf8'));
    // Any other lone surrogate encodes as U+FFFD, as Buffer.from would encode it.
    parts.push(u >= ESCAPE_MIN && u <= ESCAPE_MAX ? Buffer.from([u - ESCAPE_BASE]) : REPLACEMENT);
    start = i + 1;
  }
  parts.push(Buffer.from(s.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/** Whether s[i] is an escaped invalid byte (not the low half of a surrogate pair). */
export function isEscapedByteAt(s: string, i: number): boolean {
  const u = s.charCodeAt(i);
  if (u < ESCAPE_MIN || u > ESCAPE_MAX) return false;
  const before = i > 0 ? s.charCodeAt(i - 1) : 0;
  return before < 0xd800 || before > 0xdbff;
}

/** What Go gets reading a byte string rune by rune (fmt's scanner, range loops): each invalid byte as U+FFFD. */
export function byteStringRunes(s: string): string {
  return s.replace(/[\udc80-\udcff]/g, (m, i: number) => (isEscapedByteAt(s, i) ? '\ufffd' : m));
}

/**
 * The text Node would have decoded from the same bytes (invalid UTF-8 as U+FFFD), i.e.
 * what process.argv holds: for code that wants text, where only messages need the bytes.
 */
export function byteStringText(s: string): string {
  return ANY_SURROGATE.test(s) ? byteStringBytes(s).toString('utf8') : s;
}
