// Small formatting helpers that reproduce Go library output etcdctl prints.

import { isEscapedByteAt } from '../../pkg/byte-string.js';

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

/** Go's %16x: hexadecimal, space-padded to 16 (membership confirmations print IDs so). */
export function hex16(id: bigint): string {
  return id.toString(16).padStart(16, ' ');
}
