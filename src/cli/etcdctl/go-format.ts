// Small formatting helpers that reproduce Go library output etcdctl prints.

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

/** Go's %q for a byte string: printable UTF-8 kept, everything else escaped. */
export function goQuote(b: Uint8Array): string {
  let out = '"';
  const s = Buffer.from(b);
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (c < 0x80) {
      if (c === 0x22) out += '\\"';
      else if (c === 0x5c) out += '\\\\';
      else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
      else if (c === 0x07) out += '\\a';
      else if (c === 0x08) out += '\\b';
      else if (c === 0x0c) out += '\\f';
      else if (c === 0x0a) out += '\\n';
      else if (c === 0x0d) out += '\\r';
      else if (c === 0x09) out += '\\t';
      else if (c === 0x0b) out += '\\v';
      else out += `\\x${c.toString(16).padStart(2, '0')}`;
      i++;
      continue;
    }
    const len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    const seq = len > 0 ? s.subarray(i, i + len) : undefined;
    const text = seq && seq.length === len ? seq.toString('utf8') : '\ufffd';
    if (!text.includes('\ufffd') && len > 0) {
      out += text;
      i += len;
    } else {
      out += `\\x${c.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return out + '"';
}

/** Go's %16x: hexadecimal, space-padded to 16 (membership confirmations print IDs so). */
export function hex16(id: bigint): string {
  return id.toString(16).padStart(16, ' ');
}
