// Password hashes: bcrypt, as etcd stores them (Go's bcrypt with its default cost 10,
// "$2a$" hashes), so a hash written by either implementation verifies in the other.
// Hashing and checking run on libuv's thread pool: a login costs ~75 ms of CPU at cost
// 10, which on the event loop would stall every other client of the member meanwhile.

import { hash, verify } from '@node-rs/bcrypt';

/** etcd's --bcrypt-cost default (bcrypt.DefaultCost). */
export const BCRYPT_COST = 10;

export function hashPassword(password: string, cost = BCRYPT_COST): Promise<string> {
  return hash(password, { cost, version: '2a' });
}

export async function passwordMatches(password: string, encoded: string): Promise<boolean> {
  if (encoded === '') return false;
  // A malformed stored hash matches no password (verify answers false for it).
  return verify(password, encoded);
}
