// Go's PEM reading and X509KeyPair messages on inputs the e2e comparison with real etcd
// does not reach: CRLF files, headers, broken candidates skipped, several stray blocks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { goPemBlocks } from '../../src/pkg/go-pem.js';
import { goCertPoolError, goKeyPairError } from '../../src/pkg/go-x509-checks.js';
import { REPO_ROOT } from '../helpers/processes.js';

const fixture = (name: string) => readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'tls', name));
const pem = (type: string, body: string, headers = '') => `-----BEGIN ${type}-----\n${headers}${body}\n-----END ${type}-----\n`;

test('blocks are found with CRLF line ends, headers and text around them', () => {
  const text = `junk before\r\n${pem('A', 'AAEC').replaceAll('\n', '\r\n')}between\n${pem('B', 'AwQ=', 'Proc-Type: 4,ENCRYPTED\n\n')}after`;
  assert.deepEqual(
    goPemBlocks(Buffer.from(text)).map((b) => [b.type, [...b.bytes]]),
    [['A', [0, 1, 2]], ['B', [3, 4]]],
  );
});

test('a candidate with bad base64 or a wrong END line is skipped, not fatal', () => {
  const text = pem('BAD', 'not*base64') + '-----BEGIN X-----\nAAAA\n-----END Y-----\n' + pem('GOOD', 'AAAA');
  assert.deepEqual(goPemBlocks(Buffer.from(text)).map((b) => b.type), ['GOOD']);
  assert.deepEqual(goPemBlocks(Buffer.from('-----BEGIN X-----\nAAAA\n')), []);
});

test("X509KeyPair's messages for stray blocks in either file", () => {
  const stray = Buffer.from(pem('FOO', 'AAAA') + pem('BAR', 'AAAA'));
  assert.equal(goKeyPairError(stray, fixture('server-key.pem')), 'tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping PEM blocks of the following types: [FOO BAR]');
  assert.equal(
    goKeyPairError(fixture('server.pem'), Buffer.concat([fixture('ca.pem'), stray])),
    'tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after skipping PEM blocks of the following types: [CERTIFICATE FOO BAR]',
  );
  assert.equal(goKeyPairError(fixture('server.pem'), Buffer.from(pem('PRIVATE KEY', 'AAAA'))), 'tls: failed to parse private key');
  assert.equal(goKeyPairError(Buffer.from(pem('CERTIFICATE', 'AAAA')), fixture('server-key.pem')), 'x509: malformed certificate');
  assert.equal(goKeyPairError(fixture('server.pem'), fixture('server-key.pem')), undefined);
});

test('a CA file: certificates pass, no PEM at all passes (an empty pool), any other block is parsed as a certificate', () => {
  assert.equal(goCertPoolError(fixture('ca.pem')), undefined);
  assert.equal(goCertPoolError(Buffer.from('not pem')), undefined);
  assert.equal(goCertPoolError(Buffer.concat([fixture('ca.pem'), fixture('client-key.pem')])), 'x509: malformed tbs certificate');
});
