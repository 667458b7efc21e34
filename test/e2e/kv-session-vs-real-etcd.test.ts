// The contract test for KV: one session of the real etcdctl (Debian's 3.4.23) run
// against real etcd and then against etcd-ts, on the same client and peer ports so
// that member and cluster ids, and therefore every byte of output, must match.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdctl, freePort, startMember, stopMember, removeDir, tempDir, type CtlResult } from '../helpers/processes.js';

interface Step {
  args: string[];
  input?: string;
}

const TXN_SWAP = 'value("foo") = "bar2"\n\nput foo swapped\nget foo\n\nput foo lost\n\n';
const TXN_FAIL = 'mod("foo") > "1000"\n\nput foo never\n\ndel a\nget foo\n\n';

/** Every KV command and output format a user types, including the errors. */
const SESSION: Step[] = [
  { args: ['put', 'foo', 'bar'] },
  { args: ['put', 'foo', 'bar2', '--prev-kv'] },
  { args: ['get', 'foo'] },
  { args: ['get', 'foo', '-w', 'json'] },
  { args: ['get', 'foo', '-w', 'fields'] },
  { args: ['get', 'foo', '-w', 'table'] },
  { args: ['get', 'foo', '--hex'] },
  { args: ['put', 'a', '1'] },
  { args: ['put', 'b', '2'] },
  { args: ['put', 'c', '3', '-w', 'json'] },
  { args: ['put', 'b', '22', '--prev-kv', '-w', 'fields'] },
  { args: ['get', 'a', 'c'] },
  { args: ['get', 'a', '--from-key'] },
  { args: ['get', '', '--prefix', '--keys-only'] },
  { args: ['get', '', '--prefix', '--limit', '2', '-w', 'json'] },
  { args: ['get', 'foo', '--rev', '2'] },
  { args: ['get', '', '--prefix', '--sort-by', 'MODIFY', '--order', 'DESCEND'] },
  { args: ['get', '', '--prefix', '--sort-by', 'VALUE', '--order', 'ASCEND', '--print-value-only'] },
  { args: ['get', '', '--prefix', '--sort-by', 'modify', '--order', 'descend'] },
  { args: ['get', 'foo', '--order', 'desc'] },
  { args: ['get', '', '--prefix', '--consistency', 's'] },
  { args: ['get', 'a', '--prefix', '--max-mod-rev', '4'] },
  { args: ['get', 'nope'] },
  { args: ['get', 'nope', '-w', 'json'] },
  { args: ['txn'], input: TXN_SWAP },
  { args: ['txn', '-w', 'json'], input: TXN_FAIL },
  { args: ['txn', '-w', 'fields'], input: TXN_SWAP },
  { args: ['del', 'a'] },
  { args: ['del', 'b', '--prev-kv'] },
  { args: ['del', 'nope', '-w', 'json'] },
  { args: ['compaction', '3'] },
  { args: ['get', 'foo', '--rev', '2'] },
  { args: ['get', 'foo', '--rev', '1000'] },
  { args: ['compaction', '2'] },
  // Too large for argv: etcdctl reads the value from stdin when only the key is given.
  { args: ['put', 'big'], input: 'x'.repeat(2 * 1024 * 1024) },
  // Over the server's 1.5 MiB --max-request-bytes but under the client's 2 MiB cap.
  { args: ['put', 'mid'], input: 'x'.repeat(1600 * 1024) },
  { args: ['endpoint', 'health'] },
  { args: ['endpoint', 'health', '-w', 'json'] },
  { args: ['member', 'list', '-w', 'json'] },
  { args: ['member', 'list'] },
  { args: ['get', 'foo', '--sort-by', 'BAD'] },
  { args: ['get'] },
  { args: ['put'] },
  // An empty stdin is no value: etcdctl refuses rather than writing an empty value.
  { args: ['put', 'nostdin'], input: '' },
  { args: ['put', 'nostdin', '--ignore-lease'], input: '' },
  { args: ['get', 'nostdin', '--count-only', '-w', 'fields'] },
  { args: ['compaction', 'abc'] },
  // Compares etcdctl's Sscanf cannot finish: its error shows what did scan.
  { args: ['txn'], input: 'value("k1", "k3") = "v1"\n\nget k1\n\n\n' },
  { args: ['txn'], input: 'value("foo") = bar\n\nget k1\n\n\n' },
  { args: ['txn'], input: 'value(foo) = "bar"\n\nget k1\n\n\n' },
  { args: ['txn'], input: 'value("foo")= "x"\n\nget k1\n\n\n' },
  // The value is parsed before the operator is looked at.
  { args: ['txn'], input: 'mod("foo") == "abc"\n\nget k1\n\n\n' },
  // A success/failure line whose flags do not parse: cobra's usage of that op, then the error.
  { args: ['txn'], input: '\nget c -w json\n\n\n' },
  { args: ['txn'], input: '\nput c 1 --bogus\n\n\n' },
  { args: ['txn'], input: '\n\ndel c --count-only\n\n' },
  { args: ['txn'], input: 'value("foo") = "x"\n' },
  { args: ['del', '', '--prefix', '-w', 'json'] },
  { args: ['get', '', '--prefix', '-w', 'table'] },
];

/** Only what etcdctl itself makes up per run may differ: log timestamps, client ids, timings. */
function normalize(r: CtlResult): CtlResult {
  const strip = (s: string) =>
    s.replace(/"ts":"[^"]*"/g, '"ts":"X"').replace(/client-[0-9a-f-]{36}/g, 'client-X').replace(/took = \S+/g, 'took = X').replace(/"took":"[^"]*"/g, '"took":"X"');
  return { stdout: strip(r.stdout), stderr: strip(r.stderr), status: r.status };
}

/** Runs the session against a fresh member with the given etcdctl. */
async function runSession(server: 'ours' | 'real', ctl: 'ours' | 'real', clientPort: number, peerPort: number): Promise<CtlResult[]> {
  const root = tempDir(`kv-session-${server}-`);
  const m = await startMember(server, { clientPort, peerPort, dataDir: `${root}/data` });
  try {
    const endpoint = `--endpoints=${m.endpoint}`;
    return SESSION.map((s) => normalize(etcdctl(ctl, [endpoint, ...s.args], s.input)));
  } finally {
    await stopMember(m);
    removeDir(root);
  }
}

function assertSameSession(actual: CtlResult[], expected: CtlResult[], what: string): void {
  for (let i = 0; i < SESSION.length; i++) {
    assert.deepEqual(actual[i], expected[i], `${what}: etcdctl ${SESSION[i]!.args.join(' ').slice(0, 80)}`);
  }
}

test('a KV session prints the same bytes whichever etcdctl talks to whichever server', async () => {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const reference = await runSession('real', 'real', clientPort, peerPort);
  assertSameSession(await runSession('ours', 'real', clientPort, peerPort), reference, 'real etcdctl against etcd-ts');
  assertSameSession(await runSession('real', 'ours', clientPort, peerPort), reference, 'our etcdctl against real etcd');
  assertSameSession(await runSession('ours', 'ours', clientPort, peerPort), reference, 'our etcdctl against etcd-ts');
});
