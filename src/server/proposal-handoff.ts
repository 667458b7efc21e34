// The member that proposed a request still holds it decoded when its entry commits: the
// applier can take that object instead of decoding the entry's bytes again (a decode
// builds every nested message and copies every key and value: ~2-3 us and most of the
// garbage of a put).
//
// Safety rests on one check, not on bookkeeping: the hand-off is used only when the
// applied entry's bytes equal, byte for byte, the bytes encoded from the held request.
// Those bytes are what the log holds and what every other member decodes, so the held
// request is the decoding of exactly what is applied. Any other entry (a follower applying
// what another member proposed, an entry of a new leader replacing ours, a proposal
// re-encoded differently) fails the check or finds nothing held, and is decoded.
//
// Contract for proposers: the held request, and the Buffers it points into, stay
// unchanged until the proposal settles (requests decoded from the wire own their bytes).

import type { InternalRaftRequest } from '../gen/etcdserverpb/raft_internal.js';

/** What a proposer keeps beside its waiter: the request and the bytes it was encoded to. */
export interface ProposedRequest {
  readonly data: Uint8Array;
  readonly req: InternalRaftRequest;
}

const TWO_28 = 2 ** 28;

/**
 * The request id of an entry encoded by this code base's proposer, read without decoding
 * the rest: the encoder writes the header (field 100, bytes a2 06) first and the header's
 * ID (field 1, tag 08) first inside it. Undefined for any other layout: the caller then
 * decodes the whole entry, which is always correct.
 */
export function peekRequestId(data: Uint8Array): bigint | undefined {
  if (data.length < 5 || data[0] !== 0xa2 || data[1] !== 0x06) return undefined;
  // The header's length: one byte in practice (a header is id + user name + auth revision).
  if (data[2]! >= 0x80 || data[3] !== 0x08) return undefined;
  // The ID as a varint of up to ten bytes: the low 28 bits as a number, the rest beside it.
  // Place values are kept as running products: `2 ** shift` with a variable shift is a
  // call to pow (measured: ~3% of a follower's instructions, this runs for every entry).
  let pos = 4;
  let lo = 0;
  let place = 1;
  for (let i = 0; i < 4; i++, place *= 128) {
    if (pos >= data.length) return undefined;
    const b = data[pos++]!;
    lo += (b & 0x7f) * place;
    if (b < 0x80) return BigInt(lo);
  }
  // The remaining 36 bits (five bytes of 7 and one of 1) fit a number exactly.
  let hi = 0;
  place = 1;
  for (let i = 0; i < 6; i++, place *= 128) {
    if (pos >= data.length) return undefined;
    const b = data[pos++]!;
    hi += (b & 0x7f) * place;
    // hi has at most 36 bits, so hi * 2^28 is an exact double: three bigints made instead of
    // four (shift, or), this runs for every applied entry.
    if (b < 0x80) return BigInt.asUintN(64, BigInt(hi * TWO_28) + BigInt(lo));
  }
  return undefined;
}

/** The held request when `data` is exactly what it was encoded to, else undefined. */
export function heldRequestFor(data: Uint8Array, held: ProposedRequest | undefined): InternalRaftRequest | undefined {
  if (!held || held.data.length !== data.length) return undefined;
  // The very bytes proposed: a leader's own put entries keep them (entry-arena.ts).
  if (held.data === data) return held.req;
  return Buffer.compare(held.data, data) === 0 ? held.req : undefined;
}
