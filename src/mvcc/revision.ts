// A revision names one change: `main` is the store revision of the write transaction
// (one per put, delete or txn), `sub` orders the changes inside it (0, 1, 2...).
//
// In the backend's `key` bucket every change is stored under its revision, encoded as
// 17 bytes — main as 8 bytes big endian, '_', sub as 8 bytes big endian — so that byte
// order is revision order. A deletion (tombstone) appends a trailing 't' (18 bytes).
//
// Example: the second op of the txn that made revision 5 is {main: 5, sub: 1}, stored
// under 00 00 00 00 00 00 00 05 5f 00 00 00 00 00 00 00 01.

export interface Revision {
  main: number;
  sub: number;
}

export const REV_BYTES = 17;
export const TOMBSTONE_MARK = 0x74; // 't'

export function compareRev(a: Revision, b: Revision): number {
  return a.main !== b.main ? a.main - b.main : a.sub - b.sub;
}

export function encodeRev(rev: Revision, tombstone = false): Buffer {
  // allocUnsafe: every byte is written below.
  const b = Buffer.allocUnsafe(tombstone ? REV_BYTES + 1 : REV_BYTES);
  b.writeUIntBE(Math.floor(rev.main / 2 ** 32), 0, 4);
  b.writeUInt32BE(rev.main >>> 0, 4);
  b[8] = 0x5f; // '_'
  b.writeUIntBE(Math.floor(rev.sub / 2 ** 32), 9, 4);
  b.writeUInt32BE(rev.sub >>> 0, 13);
  if (tombstone) b[REV_BYTES] = TOMBSTONE_MARK;
  return b;
}

/**
 * encodeRev's bytes as the latin1 string the backend's write buffer keys by (one char per
 * byte): no Buffer made and converted for every stored put (a Buffer costs ~700
 * instructions to create, its toString as much again).
 */
export function revKeyString(rev: Revision): string {
  const hi = Math.floor(rev.main / 2 ** 32);
  const lo = rev.main >>> 0;
  const subHi = Math.floor(rev.sub / 2 ** 32);
  const subLo = rev.sub >>> 0;
  return String.fromCharCode(
    hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff,
    lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff,
    0x5f,
    subHi >>> 24, (subHi >>> 16) & 0xff, (subHi >>> 8) & 0xff, subHi & 0xff,
    subLo >>> 24, (subLo >>> 16) & 0xff, (subLo >>> 8) & 0xff, subLo & 0xff,
  );
}

export function decodeRev(b: Buffer): { rev: Revision; tombstone: boolean } {
  const main = b.readUInt32BE(0) * 2 ** 32 + b.readUInt32BE(4);
  const sub = b.readUInt32BE(9) * 2 ** 32 + b.readUInt32BE(13);
  return { rev: { main, sub }, tombstone: b.length > REV_BYTES && b[REV_BYTES] === TOMBSTONE_MARK };
}

/** A revision as a string, for sets and maps of revisions ("5_1"). */
export function revId(rev: Revision): string {
  return `${rev.main}_${rev.sub}`;
}

/** The first key of the `key` bucket at or after main revision `main` (sub 0). */
export function revStart(main: number): Buffer {
  return encodeRev({ main, sub: 0 });
}
