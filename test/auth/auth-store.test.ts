// The auth store as every member applies it: root rules, management errors, the auth
// revision, permission checks, persistence in the backend, and simple-token expiry on an
// injected clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthStore } from '../../src/auth/auth-store.js';
import { AuthErrors } from '../../src/auth/errors.js';
import { hashPassword } from '../../src/auth/password.js';
import { SimpleTokens } from '../../src/auth/token-simple.js';
import { Permission_Type } from '../../src/gen/authpb/auth.js';
import { MemoryTx } from './memory-tx.js';

const b = (s: string) => Buffer.from(s);
const TTL_MS = 300_000;

function newStore(tx = new MemoryTx(), now = () => 0) {
  return new AuthStore(tx, new SimpleTokens(TTL_MS, now));
}

function withRoot(store: AuthStore): void {
  store.userAdd('root', 'hash', false);
  store.userGrantRole('root', 'root');
}

test('a new store is at revision 1 and disabled', () => {
  const s = newStore();
  assert.equal(s.revision, 1);
  assert.equal(s.enabled, false);
});

test('auth enable needs a root user holding the root role', () => {
  const s = newStore();
  assert.throws(() => s.authEnable(), AuthErrors.RootUserNotExist);
  s.userAdd('root', 'hash', false);
  assert.throws(() => s.authEnable(), AuthErrors.RootRoleNotExist);
  s.userGrantRole('root', 'root'); // the root role needs no definition
  s.authEnable();
  assert.equal(s.enabled, true);
});

test('root cannot be deleted or lose its role while auth is on', () => {
  const s = newStore();
  withRoot(s);
  s.roleAdd('root');
  s.authEnable();
  assert.throws(() => s.userDelete('root'), AuthErrors.InvalidAuthMgmt);
  assert.throws(() => s.roleDelete('root'), AuthErrors.InvalidAuthMgmt);
  assert.throws(() => s.userRevokeRole('root', 'root'), AuthErrors.InvalidAuthMgmt);
  s.authDisable();
  s.userRevokeRole('root', 'root');
  s.roleDelete('root');
  s.userDelete('root');
});

test('management errors name the missing or duplicate thing', () => {
  const s = newStore();
  assert.throws(() => s.userAdd('', 'h', false), AuthErrors.UserEmpty);
  assert.throws(() => s.roleAdd(''), AuthErrors.RoleEmpty);
  s.userAdd('u', 'h', false);
  assert.throws(() => s.userAdd('u', 'h', false), AuthErrors.UserAlreadyExist);
  s.roleAdd('r');
  assert.throws(() => s.roleAdd('r'), AuthErrors.RoleAlreadyExist);
  assert.throws(() => s.userGrantRole('nobody', 'r'), AuthErrors.UserNotFound);
  assert.throws(() => s.userGrantRole('u', 'nope'), AuthErrors.RoleNotFound);
  assert.throws(() => s.userRevokeRole('u', 'r'), AuthErrors.RoleNotGranted);
  assert.throws(() => s.roleRevokePermission('r', b('k'), Buffer.alloc(0)), AuthErrors.PermissionNotGranted);
  assert.throws(() => s.roleGet('nope'), AuthErrors.RoleNotFound);
  assert.throws(() => s.userGet('nope'), AuthErrors.UserNotFound);
});

test('every change moves the auth revision, a repeated grant and enable do not', () => {
  const s = newStore();
  const r0 = s.revision;
  s.roleAdd('r');
  s.userAdd('u', 'h', false);
  s.userGrantRole('u', 'r');
  assert.equal(s.revision, r0 + 3);
  s.userGrantRole('u', 'r');
  assert.equal(s.revision, r0 + 3);
  withRoot(s);
  const before = s.revision;
  s.authEnable();
  assert.equal(s.revision, before);
  s.authDisable();
  assert.equal(s.revision, before + 1);
});

test('permissions: read, write and readwrite over keys, ranges and prefixes; root may do anything', () => {
  const s = newStore();
  withRoot(s);
  s.roleAdd('r');
  s.roleGrantPermission('r', { permType: Permission_Type.READWRITE, key: b('/a'), rangeEnd: b('/b') });
  s.roleGrantPermission('r', { permType: Permission_Type.READ, key: b('/p/'), rangeEnd: b('/p0') });
  s.roleGrantPermission('r', { permType: Permission_Type.WRITE, key: b('/z'), rangeEnd: Buffer.from([0]) });
  s.userAdd('u', 'h', false);
  s.userGrantRole('u', 'r');
  s.authEnable();
  const u = { username: 'u', revision: s.revision };
  s.checkOp(u, b('/a'), undefined, 'read');
  s.checkOp(u, b('/a/x'), undefined, 'write');
  s.checkOp(u, b('/p/q'), undefined, 'read');
  assert.throws(() => s.checkOp(u, b('/p/q'), undefined, 'write'), AuthErrors.PermissionDenied);
  s.checkOp(u, b('/zzz'), undefined, 'write');
  assert.throws(() => s.checkOp(u, b('/zzz'), undefined, 'read'), AuthErrors.PermissionDenied);
  assert.throws(() => s.checkOp(u, b('/a'), b('/c'), 'read'), AuthErrors.PermissionDenied);
  s.checkOp({ username: 'root', revision: s.revision }, b('anything'), Buffer.from([0]), 'write');
  assert.throws(() => s.checkOp(undefined, b('/a'), undefined, 'read'), AuthErrors.UserEmpty);
  assert.throws(() => s.checkOp({ username: 'ghost', revision: s.revision }, b('/a'), undefined, 'read'), AuthErrors.PermissionDenied);
  assert.throws(() => s.checkAdmin(u), AuthErrors.PermissionDenied);
  assert.throws(() => s.checkAdmin(undefined), AuthErrors.UserEmpty);
});

test('a request checked at an older auth revision must retry', () => {
  const s = newStore();
  withRoot(s);
  s.authEnable();
  const stale = { username: 'root', revision: s.revision };
  s.roleAdd('other');
  assert.throws(() => s.checkOp(stale, b('k'), undefined, 'read'), AuthErrors.AuthOldRevision);
});

test('revoking a grant takes effect at once (no stale permission cache)', () => {
  const s = newStore();
  withRoot(s);
  s.roleAdd('r');
  s.roleGrantPermission('r', { permType: Permission_Type.READ, key: b('k'), rangeEnd: Buffer.alloc(0) });
  s.userAdd('u', 'h', false);
  s.userGrantRole('u', 'r');
  s.authEnable();
  s.checkOp({ username: 'u', revision: s.revision }, b('k'), undefined, 'read');
  s.roleRevokePermission('r', b('k'), Buffer.alloc(0));
  assert.throws(() => s.checkOp({ username: 'u', revision: s.revision }, b('k'), undefined, 'read'), AuthErrors.PermissionDenied);
});

test('deleting a role removes it from its users', () => {
  const s = newStore();
  s.roleAdd('r');
  s.userAdd('u', 'h', false);
  s.userGrantRole('u', 'r');
  s.roleDelete('r');
  assert.deepEqual(s.userGet('u'), []);
});

test('the store survives a reopen of the backend: users, roles, enabled flag and revision', () => {
  const tx = new MemoryTx();
  const s = newStore(tx);
  withRoot(s);
  s.roleAdd('r');
  s.roleGrantPermission('r', { permType: Permission_Type.READ, key: b('k'), rangeEnd: Buffer.alloc(0) });
  s.authEnable();
  const again = newStore(tx);
  assert.equal(again.enabled, true);
  assert.equal(again.revision, s.revision);
  assert.deepEqual(again.userList(), ['root']);
  assert.deepEqual(again.roleList(), ['r']);
  assert.deepEqual(again.roleGet('r').map((p) => p.key.toString()), ['k']);
});

test('passwords: checked with bcrypt on the proposer; wrong ones and unknown users fail alike', async () => {
  const s = newStore();
  s.userAdd('root', await hashPassword('pw', 4), false);
  s.userGrantRole('root', 'root');
  await assert.rejects(s.checkPassword('root', 'pw'), AuthErrors.AuthNotEnabled);
  s.authEnable();
  assert.equal(await s.checkPassword('root', 'pw'), s.revision);
  await assert.rejects(s.checkPassword('root', 'nope'), AuthErrors.AuthFailed);
  await assert.rejects(s.checkPassword('ghost', 'pw'), AuthErrors.AuthFailed);
});

test('simple tokens: valid until unused for the TTL, renewed by use, gone on password change and disable', async () => {
  let now = 1_000;
  const s = newStore(new MemoryTx(), () => now);
  withRoot(s);
  s.authEnable();
  const token = s.authenticate('root', 'abcdefghijklmnop', 42)!;
  assert.equal(token, 'abcdefghijklmnop.42');
  assert.deepEqual(await s.authInfoFromToken(token), { username: 'root', revision: s.revision });
  now += TTL_MS - 1;
  assert.ok(await s.authInfoFromToken(token), 'a use just before expiry renews the TTL');
  now += TTL_MS - 1;
  assert.ok(await s.authInfoFromToken(token));
  now += TTL_MS;
  assert.equal(await s.authInfoFromToken(token), undefined);

  const t2 = s.authenticate('root', 'qrstuvwxyzabcdef', 43)!;
  s.userChangePassword('root', 'newhash');
  assert.equal(await s.authInfoFromToken(t2), undefined);
  const t3 = s.authenticate('root', 'qrstuvwxyzabcdef', 44)!;
  s.authDisable();
  assert.equal(await s.authInfoFromToken(t3), undefined);
});

test('maintenance checks: root only, with etcd unmapped auth errors (code UNKNOWN)', async () => {
  const { AuthGate } = await import('../../src/server/auth-gate.js');
  const s = newStore();
  withRoot(s);
  s.userAdd('u', 'h', false);
  s.authEnable();
  const gate = new AuthGate(s);
  await assert.rejects(gate.checkMaintenance(undefined), { code: 2, message: 'auth: user name is empty' });
  const userToken = s.authenticate('u', 'aaaaaaaaaaaaaaaa', 1)!;
  await assert.rejects(gate.checkMaintenance({ token: userToken }), { code: 2, message: 'auth: permission denied' });
  await assert.rejects(gate.checkMaintenance({ token: 'nope.1' }), { code: 2, message: 'auth: invalid auth token' });
  const rootToken = s.authenticate('root', 'bbbbbbbbbbbbbbbb', 2)!;
  await gate.checkMaintenance({ token: rootToken });
});
