// HPACK (RFC 7541): a full decoder (peers index headers in the dynamic table and
// Huffman-code strings) and an encoder that only writes literals, so nothing it sends
// enters the peer's dynamic table. The benchmark's HTTP/2 client precomputes each method's
// header block with it; the client port re-encodes header blocks whose :authority it repairs.

import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from './hpack-huffman-table.js';

const STATIC_NAMES =
  ':authority :method :method :path :path :scheme :scheme :status :status :status :status :status :status :status ' +
  'accept-charset accept-encoding accept-language accept-ranges accept access-control-allow-origin age allow ' +
  'authorization cache-control content-disposition content-encoding content-language content-length content-location ' +
  'content-range content-type cookie date etag expect expires from host if-match if-modified-since if-none-match ' +
  'if-range if-unmodified-since last-modified link location max-forwards proxy-authenticate proxy-authorization range ' +
  'referer refresh retry-after server set-cookie strict-transport-security transfer-encoding user-agent vary via ' +
  'www-authenticate';
const STATIC_VALUES: Record<number, string> = {
  2: 'GET', 3: 'POST', 4: '/', 5: '/index.html', 6: 'http', 7: 'https',
  8: '200', 9: '204', 10: '206', 11: '304', 12: '400', 13: '404', 14: '500', 16: 'gzip, deflate',
};

/** The static table, 1-based as the RFC numbers it (index 0 unused). */
export const STATIC_TABLE: readonly (readonly [string, string])[] = [
  ['', ''],
  ...STATIC_NAMES.split(' ').map((name, i): [string, string] => [name, STATIC_VALUES[i + 1] ?? '']),
];

export class HpackError extends Error {}

/** Huffman decoding tree: node k has children tree[2k] (bit 0) and tree[2k+1] (bit 1); leaves are -(symbol+1). */
const HUFFMAN_TREE = (() => {
  const tree: number[] = [0, 0];
  let nodes = 1;
  for (let sym = 0; sym < 257; sym++) {
    const code = HUFFMAN_CODES[sym]!;
    const len = HUFFMAN_LENGTHS[sym]!;
    let node = 0;
    for (let b = len - 1; b >= 0; b--) {
      const bit = Math.floor(code / 2 ** b) & 1;
      const slot = 2 * node + bit;
      if (b === 0) tree[slot] = -(sym + 1);
      else {
        if (!tree[slot]) {
          tree[slot] = nodes++;
          tree.push(0, 0);
        }
        node = tree[slot]!;
      }
    }
  }
  return Int32Array.from(tree);
})();

export function huffmanDecode(src: Uint8Array): string {
  const out: number[] = [];
  let node = 0;
  // Bits consumed since the last symbol, and whether all of them were 1s: only a short run of
  // 1s (a prefix of EOS) may pad the end of a string.
  let pendingBits = 0;
  let pendingAllOnes = true;
  for (let i = 0; i < src.length; i++) {
    const byte = src[i]!;
    for (let b = 7; b >= 0; b--) {
      const bit = (byte >> b) & 1;
      const next = HUFFMAN_TREE[2 * node + bit]!;
      pendingBits++;
      if (bit === 0) pendingAllOnes = false;
      if (next < 0) {
        const sym = -next - 1;
        if (sym === 256) throw new HpackError('HPACK: EOS symbol inside a Huffman string');
        out.push(sym);
        node = 0;
        pendingBits = 0;
        pendingAllOnes = true;
      } else if (next === 0) {
        throw new HpackError('HPACK: invalid Huffman code');
      } else node = next;
    }
  }
  if (pendingBits > 7 || !pendingAllOnes) throw new HpackError('HPACK: invalid Huffman padding');
  return Buffer.from(out).toString('latin1');
}

/** Reads HPACK integers and strings from one header block. */
class BlockReader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  int(prefixBits: number): number {
    if (this.pos >= this.buf.length) throw new HpackError('HPACK: truncated integer');
    const max = (1 << prefixBits) - 1;
    let v = this.buf[this.pos++]! & max;
    if (v < max) return v;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.buf.length) throw new HpackError('HPACK: truncated integer');
      const b = this.buf[this.pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) return v;
      if (shift > 28) throw new HpackError('HPACK: integer too large');
    }
  }

  str(): string {
    if (this.pos >= this.buf.length) throw new HpackError('HPACK: truncated string');
    const huffman = (this.buf[this.pos]! & 0x80) !== 0;
    const len = this.int(7);
    if (this.pos + len > this.buf.length) throw new HpackError('HPACK: truncated string');
    const bytes = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return huffman ? huffmanDecode(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  }
}

/** One connection's decoding context: the dynamic table the peer's encoder fills. */
export class HpackDecoder {
  /** Newest entry first, as HPACK numbers them after the static table. */
  private readonly dynamic: [string, string][] = [];
  private size = 0;
  private maxSize: number;

  /** maxSize is SETTINGS_HEADER_TABLE_SIZE as this side advertised it (4096 by default). */
  constructor(private readonly limit = 4096) {
    this.maxSize = limit;
  }

  /** Decodes a complete header block, calling onField for each header in order. */
  decode(block: Uint8Array, onField: (name: string, value: string) => void): void {
    const r = new BlockReader(block);
    while (!r.done) {
      const b = block[r.pos]!;
      if (b & 0x80) {
        const [name, value] = this.entry(r.int(7));
        onField(name, value);
      } else if (b & 0x40) {
        const [name, value] = this.literal(r, 6);
        this.add(name, value);
        onField(name, value);
      } else if (b & 0x20) {
        const size = r.int(5);
        if (size > this.limit) throw new HpackError('HPACK: table size update above the advertised limit');
        this.maxSize = size;
        this.evict(0);
      } else {
        // Literal without indexing (0000) or never indexed (0001): both have a 4-bit prefix.
        const [name, value] = this.literal(r, 4);
        onField(name, value);
      }
    }
  }

  private literal(r: BlockReader, prefixBits: number): [string, string] {
    const idx = r.int(prefixBits);
    const name = idx === 0 ? r.str() : this.entry(idx)[0];
    return [name, r.str()];
  }

  private entry(idx: number): readonly [string, string] {
    if (idx > 0 && idx < STATIC_TABLE.length) return STATIC_TABLE[idx]!;
    const e = this.dynamic[idx - STATIC_TABLE.length];
    if (!e) throw new HpackError(`HPACK: header index ${idx} out of range`);
    return e;
  }

  private add(name: string, value: string): void {
    const entrySize = name.length + value.length + 32;
    this.evict(entrySize);
    // An entry larger than the whole table empties it and is not added (RFC 7541 §4.4).
    if (entrySize > this.maxSize) return;
    this.dynamic.unshift([name, value]);
    this.size += entrySize;
  }

  private evict(room: number): void {
    while (this.dynamic.length > 0 && this.size + room > this.maxSize) {
      const [n, v] = this.dynamic.pop()!;
      this.size -= n.length + v.length + 32;
    }
  }
}

function intBytes(value: number, prefixBits: number, firstByteFlags: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [firstByteFlags | value];
  const out = [firstByteFlags | max];
  let v = value - max;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function strBytes(s: string): number[] {
  const bytes = Buffer.from(s, 'latin1');
  return [...intBytes(bytes.length, 7, 0), ...bytes];
}

/**
 * Encodes headers as a static-table index when the pair is in the static table, otherwise a
 * literal without indexing (with the static table's name index when there is one). Nothing
 * enters the peer's dynamic table, so a block can be built once and sent on every request.
 */
export function encodeHeaderBlock(headers: readonly (readonly [string, string])[]): Buffer {
  const out: number[] = [];
  for (const [name, value] of headers) {
    const full = STATIC_TABLE.findIndex(([n, v], i) => i > 0 && n === name && v === value);
    if (full > 0) {
      out.push(...intBytes(full, 7, 0x80));
      continue;
    }
    const nameIdx = STATIC_TABLE.findIndex(([n], i) => i > 0 && n === name);
    if (nameIdx > 0) out.push(...intBytes(nameIdx, 4, 0));
    else out.push(0, ...strBytes(name));
    out.push(...strBytes(value));
  }
  return Buffer.from(out);
}
