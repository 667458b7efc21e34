// etcd's 64-bit member, cluster and lease ids as text. etcd prints them with Go's
// strconv.FormatUint(id, 16): lowercase hex with no zero padding (an id below 2^60 has
// fewer than 16 digits), and reads them back with ParseUint(s, 16, 64).

import { GoNumError, parseGoUint } from './go-strconv.js';

const UINT64_MAX = (1n << 64n) - 1n;

/** `8e9e05c52164694d`; throws if the id is not a uint64. */
export function formatId(id: bigint): string {
  if (id < 0n || id > UINT64_MAX) throw new RangeError(`id ${id} is not a uint64`);
  return id.toString(16);
}

/** Parses hex as etcd's types.IDFromString does (no 0x prefix, no sign, no underscores). */
export function parseId(text: string): bigint {
  if (!/^[0-9a-fA-F]+$/.test(text)) throw new GoNumError('syntax', 'ParseUint', text);
  return parseGoUint(`0x${text}`, 64, 'ParseUint', text);
}

/** 16 hex digits, zero padded, as etcd writes ids into some file names and headers. */
export function formatIdPadded(id: bigint): string {
  return formatId(id).padStart(16, '0');
}
