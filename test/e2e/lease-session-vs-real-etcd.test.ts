// Lease commands as operators run them: the same etcdctl session run four ways (Debian's
// etcdctl 3.4.23 and ours, each against real etcd and against etcd-ts on the same
// ports) must print the same bytes and exit with the same codes. Lease ids differ from
// run to run (they carry the member's start time), so each is replaced by its order of
// appearance; a time-to-live's remaining seconds depend on how fast the commands ran and
// are masked. Then: a key attached to a 5 s lease is deleted when the lease expires,
// together with the lease's other key in one revision.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../../src/client/client.js';
import { etcdctl, freePort, removeDir, startMember, stopMember, tempDir } from '../helpers/processes.js';

type Kind = 'ours' | 'real';

interface Step {
  args: string[];
  /** The lease granted by this step, found in its output, is remembered under this name. */
  grants?: string;
}

const L = (name: string) => `{${name}}`;

const STEPS: Step[] = [
  { args: ['lease', 'grant', '300', '-w', 'json'], grants: 'L1' },
  // Far apart: `lease list` sorts by expiry, and L1 is kept alive (300 s from then), so on a
  // slow machine L2 and L3 must still expire after it however long the session takes.
  { args: ['lease', 'grant', '4000'], grants: 'L2' },
  { args: ['lease', 'grant', '5000', '-w', 'fields'], grants: 'L3' },
  { args: ['lease', 'grant', '9000000001'] },
  { args: ['lease', 'grant'] },
  { args: ['lease', 'grant', 'abc'] },
  { args: ['lease', 'grant', '10', '20'] },
  { args: ['put', '--lease', L('L1'), 'k1', 'v1'] },
  { args: ['put', '--lease', L('L1'), 'k2', 'v2'] },
  { args: ['put', '--lease', L('L2'), 'k3', 'v3'] },
  { args: ['put', '--lease', '1234', 'k4', 'v'] },
  { args: ['put', '--lease', 'zz', 'k4', 'v'] },
  { args: ['get', 'k', '--prefix', '-w', 'json'] },
  ...['simple', 'json', 'fields', 'protobuf', 'table'].flatMap((w): Step[] => [
    { args: ['lease', 'timetolive', L('L2'), '--keys', '-w', w] },
    { args: ['lease', 'timetolive', L('L3'), '-w', w] },
    { args: ['lease', 'timetolive', '1234', '-w', w] },
    { args: ['lease', 'keep-alive', '--once', L('L1'), '-w', w] },
    { args: ['lease', 'list', '-w', w] },
  ]),
  { args: ['lease', 'keep-alive', '--once', '1234'] },
  { args: ['lease', 'keep-alive', '1234'] },
  { args: ['lease', 'keep-alive', '1234', '-w', 'json'] },
  { args: ['lease', 'timetolive'] },
  { args: ['lease', 'timetolive', 'zz'] },
  { args: ['lease', 'keep-alive'] },
  { args: ['put', 'k3', 'v33', '--ignore-lease'] },
  { args: ['get', 'k3', '-w', 'json'] },
  { args: ['put', 'k1', 'v11', '--lease', L('L2')] },
  { args: ['del', 'k2'] },
  { args: ['lease', 'timetolive', L('L1'), '--keys'] },
  { args: ['lease', 'revoke', L('L2'), '-w', 'json'] },
  { args: ['get', 'k', '--prefix', '-w', 'json'] },
  { args: ['lease', 'revoke', L('L2')] },
  { args: ['lease', 'revoke', 'zz'] },
  { args: ['lease', 'revoke'] },
  { args: ['lease', 'revoke', L('L1'), '-w', 'protobuf'] },
  { args: ['lease', 'revoke', L('L3'), '-w', 'fields'] },
  { args: ['lease', 'list'] },
  { args: ['lease', 'grant', '1'], grants: 'L4' },
];

interface Ran {
  cmd: string;
  stdout: string;
  stderr: string;
  status: number | null;
}

function leaseIdIn(stdout: string): bigint {
  const json = /"ID":(\d+)/.exec(stdout) ?? /"ID" : (\d+)/.exec(stdout);
  if (json) return BigInt(json[1]!);
  const simple = /lease ([0-9a-f]{16}) granted/.exec(stdout);
  if (simple) return BigInt(`0x${simple[1]}`);
  throw new Error(`no lease id in ${JSON.stringify(stdout)}`);
}

function normalize(text: string, ids: Map<string, bigint>, timeToLive: boolean): string {
  let out = text
    .replace(/"ts":"[^"]*"/g, '"ts":"<ts>"')
    .replace(/client-[0-9a-f-]{36}/g, 'client-<uuid>');
  for (const [name, id] of ids) {
    out = out.split(id.toString(16).padStart(16, '0')).join(`<${name}>`).split(id.toString()).join(`<${name}>`);
  }
  if (timeToLive) {
    out = out
      .replace(/remaining\(\d+s\)/g, 'remaining(<n>s)')
      .replace(/"ttl":\d+/g, '"ttl":<n>')
      .replace(/"TTL" : \d+/g, '"TTL" : <n>');
  }
  return out;
}

async function session(server: Kind, ctl: Kind, clientPort: number, peerPort: number): Promise<Ran[]> {
  const root = tempDir(`lease-${server}-${ctl}-`);
  const m = await startMember(server, { clientPort, peerPort, dataDir: `${root}/data` });
  const ids = new Map<string, bigint>();
  try {
    return STEPS.map((step) => {
      const args = step.args.map((a) => a.replace(/^\{(\w+)\}$/, (_, n: string) => ids.get(n)!.toString(16)));
      const r = etcdctl(ctl, ['--endpoints', m.endpoint, ...args]);
      if (step.grants) ids.set(step.grants, leaseIdIn(r.stdout));
      const ttl = step.args.includes('timetolive');
      return { cmd: step.args.join(' '), stdout: normalize(r.stdout, ids, ttl), stderr: normalize(r.stderr, ids, ttl), status: r.status };
    });
  } finally {
    await stopMember(m);
    removeDir(root);
  }
}

test('etcdctl lease sessions print the same bytes against etcd-ts and real etcd, with both etcdctls', async () => {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const reference = await session('real', 'real', clientPort, peerPort);
  for (const [server, ctl] of [['ours', 'real'], ['real', 'ours'], ['ours', 'ours']] as const) {
    const got = await session(server, ctl, clientPort, peerPort);
    for (let i = 0; i < STEPS.length; i++) {
      assert.deepEqual(got[i], reference[i], `etcdctl(${ctl}) against etcd(${server}): ${reference[i]!.cmd}`);
    }
  }
});

for (const kind of ['ours', 'real'] as const) {
  test(`keys attached to a 5 s lease are deleted in one revision when it expires (${kind})`, async () => {
    const m = await startMember(kind);
    // The in-process client, not a spawned etcdctl: on a loaded machine a few etcdctl
    // starts can take longer than the lease lives.
    const c = new Client({ endpoints: [m.endpoint] });
    const get = async (key: string) => {
      const r = await c.range({ key: Buffer.from(key) });
      return { present: r.kvs.length > 0, revision: Number(r.header!.revision) };
    };
    try {
      const { ID } = await c.leaseGrant(5);
      for (const k of ['e1', 'e2']) await c.put({ key: Buffer.from(k), value: Buffer.from('v'), lease: ID });
      const before = await get('e1');
      assert.equal(before.present, true);
      const deadline = Date.now() + 20_000;
      let now = before;
      while (now.present && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        now = await get('e1');
      }
      assert.equal(now.present, false, 'the key outlived its lease by 20 s');
      assert.equal((await get('e2')).present, false);
      assert.equal(now.revision, before.revision + 1, 'expiry did not delete both keys in one revision');
      const ttl = await c.leaseTimeToLive(ID);
      assert.equal(ttl.TTL, -1n);
    } finally {
      c.close();
      await stopMember(m);
      removeDir(m.dataDir.replace(/\/data$/, ''));
    }
  });
}
