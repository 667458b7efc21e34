// The --cors origin check on its own: exact text match, "*" or an empty list allow all.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corsPolicy } from '../../src/api/cors.js';

test('a whitelist allows its origins as written and nothing else', () => {
  const p = corsPolicy(['http://a.example.com:80', 'https://B.example.com:8443']);
  assert.equal(p.allowOrigin('http://a.example.com:80'), 'http://a.example.com:80');
  assert.equal(p.allowOrigin('https://B.example.com:8443'), 'https://B.example.com:8443');
  assert.equal(p.allowOrigin('http://a.example.com'), undefined);
  assert.equal(p.allowOrigin('https://b.example.com:8443'), undefined);
  assert.equal(p.allowOrigin(undefined), undefined);
});

test('"*" and an empty list allow every origin, with or without an Origin header', () => {
  for (const list of [['*'], []]) {
    const p = corsPolicy(list);
    assert.equal(p.allowOrigin('http://evil.example.com:80'), '*');
    assert.equal(p.allowOrigin(undefined), '*');
  }
});
