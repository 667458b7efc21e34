// JWT tokens: signed with the private key, checked with the public one, carrying the
// user and auth revision, refused once expired (injected clock) or when forged.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newTokenProvider } from '../../src/auth/token-options.js';

function keyFiles(kind: 'rsa' | 'ec'): { dir: string; pub: string; priv: string } {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-keys-'));
  const pair = kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = join(dir, 'pub.pem');
  const priv = join(dir, 'priv.pem');
  writeFileSync(pub, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(priv, pair.privateKey.export({ type: kind === 'rsa' ? 'pkcs1' : 'sec1', format: 'pem' }));
  return { dir, pub, priv };
}

for (const [kind, method] of [['rsa', 'RS256'], ['ec', 'ES256']] as const) {
  test(`jwt ${method}: round trip, expiry after ttl, forged tokens refused`, async () => {
    const k = keyFiles(kind);
    try {
      let now = Date.UTC(2030, 0, 1);
      const p = newTokenProvider(`jwt,pub-key=${k.pub},priv-key=${k.priv},sign-method=${method},ttl=10m`, 300, () => now);
      assert.equal(p.kind, 'jwt');
      const token = await p.sign('alice', 7);
      assert.deepEqual(await p.info(token, 9), { username: 'alice', revision: 7 });
      const [h, body] = token.split('.');
      const forged = `${h}.${Buffer.from(JSON.stringify({ username: 'root', revision: 7, exp: now / 1000 + 600 })).toString('base64url')}.${token.split('.')[2]}`;
      assert.notEqual(body, forged.split('.')[1]);
      assert.equal(await p.info(forged, 9), undefined);
      now += 10 * 60 * 1000 + 1000;
      assert.equal(await p.info(token, 9), undefined);
      // A member with only the public key verifies but cannot sign.
      const verifier = newTokenProvider(`jwt,pub-key=${k.pub},sign-method=${method}`, 300, () => Date.UTC(2030, 0, 1));
      assert.deepEqual(await verifier.info(token, 9), { username: 'alice', revision: 7 });
      await assert.rejects(verifier.sign('alice', 7));
    } finally {
      rmSync(k.dir, { recursive: true, force: true });
    }
  });
}

test('--auth-token: unknown kinds and a jwt without a sign method are refused', () => {
  assert.throws(() => newTokenProvider('bogus', 300), /unknown token type/);
  assert.throws(() => newTokenProvider('jwt,pub-key=/nonexistent', 300), /sign-method/);
  assert.equal(newTokenProvider('simple', 300).kind, 'simple');
});
