// The first JSON value of a request body, read as Go's json.Decoder reads it for etcd's
// grpc-gateway: bytes after that value are left unread (a trailing newline or a second
// object is not an error), and a syntax error is reported with Go's scanner wording
// ("invalid character 'o' in literal null (expecting 'u')", "unexpected EOF").
// Integers beyond 2^53 are kept as their decimal text so 64-bit fields keep every digit
// (the protobuf JSON mapping accepts a string wherever it accepts an int64 number).

export class GoJsonSyntaxError extends Error {}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Go's quoteChar: how its scanner names the offending byte (a byte is read as a Latin-1 rune). */
export function goQuoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return '\'"\'';
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v', 0x5c: '\\\\' };
  if (named[c] !== undefined) return `'${named[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  if ((c >= 0x80 && c < 0xa1) || c === 0xad) return `'\\u00${c.toString(16).padStart(2, '0')}'`;
  return `'${String.fromCharCode(c)}'`;
}

class Reader {
  i = 0;
  constructor(readonly b: Buffer) {}

  peek(): number {
    if (this.i >= this.b.length) throw new GoJsonSyntaxError('unexpected EOF');
    return this.b[this.i]!;
  }

  skipWs(): void {
    while (this.i < this.b.length && WS.has(this.b[this.i]!)) this.i++;
  }

  fail(c: number, context: string): never {
    throw new GoJsonSyntaxError(`invalid character ${goQuoteChar(c)} ${context}`);
  }

  value(): unknown {
    this.skipWs();
    const c = this.peek();
    if (c === 0x7b) return this.object();
    if (c === 0x5b) return this.array();
    if (c === 0x22) return this.string();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (c === 0x74) return this.literal('true', true);
    if (c === 0x66) return this.literal('false', false);
    if (c === 0x6e) return this.literal('null', null);
    return this.fail(c, 'looking for beginning of value');
  }

  literal(word: string, v: unknown): unknown {
    for (let k = 0; k < word.length; k++) {
      const c = this.peek();
      if (c !== word.charCodeAt(k)) this.fail(c, `in literal ${word} (expecting '${word[k]}')`);
      this.i++;
    }
    return v;
  }

  object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.i++; // {
    this.skipWs();
    if (this.peek() === 0x7d) {
      this.i++;
      return out;
    }
    for (;;) {
      this.skipWs();
      const c = this.peek();
      if (c !== 0x22) this.fail(c, 'looking for beginning of object key string');
      const key = this.string();
      this.skipWs();
      const colon = this.peek();
      if (colon !== 0x3a) this.fail(colon, 'after object key');
      this.i++;
      out[key] = this.value();
      this.skipWs();
      const next = this.peek();
      this.i++;
      if (next === 0x7d) return out;
      if (next !== 0x2c) this.fail(next, 'after object key:value pair');
    }
  }

  array(): unknown[] {
    const out: unknown[] = [];
    this.i++; // [
    this.skipWs();
    if (this.peek() === 0x5d) {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.skipWs();
      const next = this.peek();
      this.i++;
      if (next === 0x5d) return out;
      if (next !== 0x2c) this.fail(next, 'after array element');
    }
  }

  string(): string {
    const start = this.i;
    this.i++; // opening quote
    for (;;) {
      const c = this.peek();
      this.i++;
      if (c === 0x22) break;
      if (c < 0x20) this.fail(c, 'in string literal');
      if (c === 0x5c) {
        const e = this.peek();
        this.i++;
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) {
            const h = this.peek();
            if (!/[0-9a-fA-F]/.test(String.fromCharCode(h))) this.fail(h, 'in \\u hexadecimal character escape');
            this.i++;
          }
        } else if (!'"\\/bfnrt'.includes(String.fromCharCode(e))) {
          this.fail(e, 'in string escape code');
        }
      }
    }
    return JSON.parse(this.b.subarray(start, this.i).toString('utf8')) as string;
  }

  /** Go's number grammar; a top-level number may end at EOF. */
  number(): number | string {
    const start = this.i;
    const at = () => (this.i < this.b.length ? this.b[this.i]! : -1);
    const digit = (c: number) => c >= 0x30 && c <= 0x39;
    if (at() === 0x2d) {
      this.i++;
      const c = this.peek();
      if (!digit(c)) this.fail(c, 'in numeric literal');
    }
    if (at() === 0x30) this.i++;
    else while (digit(at())) this.i++;
    if (at() === 0x2e) {
      this.i++;
      const c = this.peek();
      if (!digit(c)) this.fail(c, 'after decimal point in numeric literal');
      while (digit(at())) this.i++;
    }
    if (at() === 0x65 || at() === 0x45) {
      this.i++;
      if (at() === 0x2b || at() === 0x2d) this.i++;
      const c = this.peek();
      if (!digit(c)) this.fail(c, 'in exponent of numeric literal');
      while (digit(at())) this.i++;
    }
    const text = this.b.subarray(start, this.i).toString('latin1');
    const n = Number(text);
    return /^-?\d+$/.test(text) && !Number.isSafeInteger(n) ? text : n;
  }
}

/**
 * The first JSON value in `body`, or undefined for a body of only white space (Go's
 * decoder answers io.EOF, which grpc-gateway takes as an empty message).
 */
export function decodeFirstJsonValue(body: Buffer): unknown {
  const r = new Reader(body);
  r.skipWs();
  if (r.i >= body.length) return undefined;
  return r.value();
}
