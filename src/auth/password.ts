// Password hashes: bcrypt, as etcd stores them (Go's bcrypt with its default cost 10), so a
// hash written by either implementation verifies in the other: Go reads this library's
// "$2y$" as it reads its own "$2a$" (the variants name the same algorithm). Hashing and checking run on libuv's thread pool: a login costs ~75 ms
// of CPU at cost 10, which on the event loop would stall every other client meanwhile.

import { hash, verify } from '@node-rs/bcrypt';

/** etcd's --bcrypt-cost default (bcrypt.DefaultCost). */
export const BCRYPT_COST = 10;

export function hashPassword(password: string, cost = BCRYPT_COST): Promise<string> {
  return hash(password, cost);
}

export async function passwordMatches(password: string, encoded: string): Promise<boolean> {
  if (encoded === '') return false;
  // A stored hash that does not parse matches no password.
  return verify(password, encoded).catch(() => false);
}
