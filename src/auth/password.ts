// Password hashes: bcrypt, as etcd stores them (Go's bcrypt with its default cost 10),
// so a hash written by either implementation verifies in the other.

import bcrypt from 'bcryptjs';

/** etcd's --bcrypt-cost default (bcrypt.DefaultCost). */
export const BCRYPT_COST = 10;

export function hashPassword(password: string, cost = BCRYPT_COST): Promise<string> {
  return bcrypt.hash(password, cost);
}

export function passwordMatches(password: string, hash: string): Promise<boolean> {
  if (hash === '') return Promise.resolve(false);
  return bcrypt.compare(password, hash);
}
