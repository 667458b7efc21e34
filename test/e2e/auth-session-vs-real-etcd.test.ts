// The contract test for authentication: one session of Debian's etcdctl 3.4.23 (users,
// roles, grants, enable, allowed and denied requests, password changes, disable) run
// against real etcd and against etcd-ts on the same ports, and the same session with our
// etcdctl against both. Every byte must match after etcdctl's own per-run noise (log
// timestamps, client ids) is normalized.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdctl, freePort, startMember, stopMember, removeDir, tempDir, type CtlResult } from '../helpers/processes.js';

interface Step {
  args: string[];
  input?: string;
}

const ROOT = ['--user', 'root:pw'];
const ALICE = ['--user', 'alice:apw'];
const ALICE2 = ['--user', 'alice:apw2'];

/** A txn whose failure branch writes where alice may not: denied although it would take the success branch. */
const TXN_DENIED = 'mod("/a") > "0"\n\nput /a 3\n\nput /c 3\n\n';
const TXN_ALLOWED = 'mod("/a") > "0"\n\nput /a 4\n\nget /a\n\n';

export const AUTH_SESSION: Step[] = [
  { args: ['user', 'add', 'root:pw'] },
  { args: ['user', 'add', 'root:pw'] },
  { args: ['user', 'add', ':x'] },
  { args: ['user', 'add'] },
  { args: ['user', 'add', 'alice', '--interactive=false'], input: 'apw\n' },
  { args: ['user', 'add', 'bob', '--new-user-password=bpw'] },
  { args: ['user', 'add', 'carol'], input: 'c\nc\n' },
  { args: ['user', 'add', 'dave'], input: 'd\ne\n' },
  { args: ['user', 'add', 'erin'], input: '\n' },
  { args: ['user', 'add', 'nopw', '--no-password'] },
  { args: ['role', 'add', 'r1'] },
  { args: ['role', 'add', 'r1'] },
  { args: ['role', 'add', ''] },
  { args: ['role', 'grant-permission', 'r1', 'readwrite', '/a', '/b'] },
  { args: ['role', 'grant-permission', 'r1', 'read', '--prefix', '/p/'] },
  { args: ['role', 'grant-permission', 'r1', 'write', '--from-key', '/z'] },
  { args: ['role', 'grant-permission', 'r1', 'ReadWrite', '/k'] },
  { args: ['role', 'grant-permission', 'r1', 'bad', '/k'] },
  { args: ['role', 'grant-permission', 'r1', 'read', 'a', 'b', '--prefix'] },
  { args: ['role', 'grant-permission', 'r1', 'read', 'a', '--prefix', '--from-key'] },
  { args: ['role', 'grant-permission', 'r1', 'read'] },
  { args: ['role', 'grant-permission', 'nope', 'read', 'x'] },
  { args: ['role', 'get', 'r1'] },
  { args: ['role', 'get', 'r1', '-w', 'json'] },
  { args: ['role', 'get', 'r1', '-w', 'fields'] },
  { args: ['role', 'get', 'r1', '-w', 'table'] },
  { args: ['role', 'revoke-permission', 'r1', '/k'] },
  { args: ['role', 'revoke-permission', 'r1', '/q'] },
  { args: ['role', 'add', 'r2'] },
  { args: ['role', 'grant-permission', 'r2', 'read', '', '--prefix'] },
  { args: ['role', 'get', 'r2'] },
  { args: ['role', 'revoke-permission', 'r2', '', '--prefix'] },
  { args: ['user', 'grant-role', 'alice', 'r1'] },
  { args: ['user', 'grant-role', 'alice', 'r1'] },
  { args: ['user', 'grant-role', 'alice', 'r2'] },
  { args: ['user', 'grant-role', 'alice', 'nope'] },
  { args: ['user', 'grant-role', 'nobody', 'r1'] },
  { args: ['user', 'grant-role', 'alice'] },
  { args: ['user', 'get', 'alice'] },
  { args: ['user', 'get', 'alice', '--detail'] },
  { args: ['user', 'get', 'alice', '-w', 'json'] },
  { args: ['user', 'get', 'alice', '-w', 'fields'] },
  { args: ['user', 'get', 'nope'] },
  { args: ['user', 'list'] },
  { args: ['user', 'list', '-w', 'json'] },
  { args: ['role', 'list'] },
  { args: ['role', 'list', '-w', 'fields'] },
  { args: ['user', 'revoke-role', 'alice', 'r2'] },
  { args: ['user', 'revoke-role', 'alice', 'r2'] },
  { args: ['role', 'delete', 'r2'] },
  { args: ['role', 'delete', 'r2'] },
  { args: ['user', 'delete', 'bob'] },
  { args: ['user', 'delete', 'bob'] },
  { args: ['auth', 'enable', 'x'] },
  { args: ['auth', 'enable'] },
  { args: ['get', '/a'] },
  { args: ['user', 'list'] },
  { args: [...ALICE, 'put', '/a', '1'] },
  { args: [...ALICE, 'get', '/a'] },
  { args: [...ALICE, 'put', '/c', '1'] },
  { args: [...ALICE, 'put', '/zz', '1'] },
  { args: [...ALICE, 'get', '/zz'] },
  { args: [...ALICE, 'get', '/a', '/c'] },
  { args: [...ALICE, 'get', '/a', '/b', '-w', 'json'] },
  { args: [...ALICE, 'get', '/p/x'] },
  { args: [...ALICE, 'put', '/p/x', '1'] },
  { args: [...ALICE, 'del', '--prefix', '/p/'] },
  { args: [...ALICE, 'put', '/a', '2', '--prev-kv'] },
  { args: [...ALICE, 'txn'], input: TXN_DENIED },
  { args: [...ALICE, 'txn'], input: TXN_ALLOWED },
  { args: [...ALICE, 'compaction', '2'] },
  { args: ['--user', 'alice:bad', 'get', '/a'] },
  { args: ['--user', 'nobody:x', 'get', '/a'] },
  { args: ['--user', 'alice:', 'get', '/a'] },
  { args: ['--user', 'alice', '--password', 'apw', 'get', '/a'] },
  { args: ['--user', 'nopw:x', 'get', '/a'] },
  { args: [...ALICE, 'user', 'get', 'alice'] },
  { args: [...ALICE, 'user', 'get', 'root'] },
  { args: [...ALICE, 'user', 'list'] },
  { args: [...ALICE, 'role', 'get', 'r1'] },
  { args: [...ALICE, 'role', 'get', 'root'] },
  { args: [...ALICE, 'user', 'add', 'mallory:m'] },
  { args: [...ALICE, 'auth', 'disable'] },
  { args: [...ROOT, 'user', 'delete', 'root'] },
  { args: [...ROOT, 'role', 'delete', 'root'] },
  { args: [...ROOT, 'user', 'revoke-role', 'root', 'root'] },
  { args: [...ROOT, 'auth', 'enable'] },
  { args: [...ROOT, 'user', 'passwd', 'alice', '--interactive=false'], input: 'apw2\n' },
  { args: [...ALICE, 'get', '/a'] },
  { args: [...ALICE2, 'get', '/a'] },
  { args: [...ROOT, 'user', 'revoke-role', 'alice', 'r1'] },
  { args: [...ALICE2, 'get', '/a'] },
  { args: [...ROOT, 'get', '/a'] },
  { args: [...ROOT, 'role', 'get', 'root'] },
  { args: [...ROOT, 'user', 'get', 'root', '--detail'] },
  { args: [...ROOT, 'role', 'delete', 'r1'] },
  { args: [...ROOT, 'role', 'list', '-w', 'json'] },
  { args: [...ROOT, 'auth', 'disable'] },
  { args: ['auth', 'disable'] },
  { args: ['get', '/a'] },
  { args: ['--user', 'root:pw', 'get', '/a'] },
  { args: ['user', 'list'] },
];

/** Only what etcdctl itself makes up per run may differ: log timestamps and client ids. */
function normalize(r: CtlResult): CtlResult {
  const strip = (s: string) => s.replace(/"ts":"[^"]*"/g, '"ts":"X"').replace(/client-[0-9a-f-]{36}/g, 'client-X');
  return { stdout: strip(r.stdout), stderr: strip(r.stderr), status: r.status };
}

async function runSession(server: 'ours' | 'real', ctl: 'ours' | 'real', clientPort: number, peerPort: number): Promise<CtlResult[]> {
  const root = tempDir(`auth-session-${server}-`);
  const m = await startMember(server, { clientPort, peerPort, dataDir: `${root}/data` });
  try {
    const endpoint = `--endpoints=${m.endpoint}`;
    return AUTH_SESSION.map((s) => normalize(etcdctl(ctl, [endpoint, ...s.args], s.input ?? '')));
  } finally {
    await stopMember(m);
    removeDir(root);
  }
}

function assertSameSession(actual: CtlResult[], expected: CtlResult[], what: string): void {
  for (let i = 0; i < AUTH_SESSION.length; i++) {
    assert.deepEqual(actual[i], expected[i], `${what}: step ${i}: etcdctl ${AUTH_SESSION[i]!.args.join(' ')}`);
  }
}

test('an auth session prints the same bytes whichever etcdctl talks to whichever server', async () => {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const reference = await runSession('real', 'real', clientPort, peerPort);
  assertSameSession(await runSession('ours', 'real', clientPort, peerPort), reference, 'real etcdctl against etcd-ts');
  assertSameSession(await runSession('real', 'ours', clientPort, peerPort), reference, 'our etcdctl against real etcd');
});
