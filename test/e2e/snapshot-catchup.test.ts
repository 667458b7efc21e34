// Members behind the leader's compacted log catch up by installing the leader's raft
// snapshot together with its backend, as in etcd: a follower cut off (its watchers stay
// open) or stopped while the leader snapshots and compacts, and a brand-new member added
// with an empty data dir after compaction. Clusters run with --snapshot-count 100 and
// --experimental-snapshot-catchup-entries 10, so a few hundred writes are enough.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '../../src/client/client.js';
import type { WatchResponse } from '../../src/gen/etcdserverpb/rpc.js';
import { FaultCluster, OUR_ETCD_BINARY } from '../faults/cluster.js';
import { etcdctl, freePort, removeDir, stopMember, tempDir, waitReady, type Member } from '../helpers/processes.js';
import { clientEndpoint, initialCluster, leaderEndpoint, memberSpecs, spawnMember, startCluster, waitFor, type MemberSpec } from '../helpers/cluster.js';

const SNAPSHOT_FLAGS = ['--snapshot-count', '100', '--experimental-snapshot-catchup-entries', '10'];
/** Comfortably more entries than one snapshot interval plus the catch-up entries. */
const WRITES = 130;
const APPLIED_SNAPSHOT = '"msg":"applied snapshot"';

const b = (s: string): Buffer => Buffer.from(s);

interface SeenEvent {
  type: number;
  key: string;
  rev: number;
}

test('a follower cut off while the leader compacts installs its snapshot; a watch open on it all along gets every event once, in order', async () => {
  const c = await FaultCluster.start({ binary: OUR_ETCD_BINARY, extraArgs: SNAPSHOT_FLAGS });
  const clients: Client[] = [];
  try {
    const leader = await c.waitLeader(15_000);
    const f = [0, 1, 2].find((i) => i !== leader)!;
    const others = [0, 1, 2].filter((i) => i !== f);
    const writer = new Client({ endpoints: others.map((i) => c.members[i]!.clientUrl), dialTimeoutMs: 500, commandTimeoutMs: 5_000 });
    const onF = new Client({ endpoints: [c.members[f]!.clientUrl], dialTimeoutMs: 500, commandTimeoutMs: 5_000 });
    clients.push(writer, onF);

    const rev0 = Number((await writer.put({ key: b('w/start'), value: b('0') })).header!.revision);
    await waitFor('the follower has applied the first write', async () => (Number((await onF.range({ key: b('w/start'), serializable: true })).header!.revision) >= rev0 ? true : undefined));

    // Two watchers on the follower, opened before it falls behind: one waiting for a
    // revision a few writes ahead (it must get every event from there on exactly once),
    // one from now (its next revision will be compacted away: etcd cancels it).
    const futureStart = rev0 + 5;
    const compactAt = rev0 + 3;
    const seen: SeenEvent[] = [];
    const ws = onF.watchStream();
    const ahead = await ws.watch({ key: b('w/'), rangeEnd: b('w0'), startRevision: futureStart }, (r: WatchResponse) => {
      for (const e of r.events) seen.push({ type: e.type, key: Buffer.from(e.kv!.key).toString(), rev: Number(e.kv!.modRevision) });
    });
    let canceled: WatchResponse | undefined;
    const fromNowEvents: SeenEvent[] = [];
    await ws.watch({ key: b('w/'), rangeEnd: b('w0') }, (r: WatchResponse) => {
      if (r.canceled) canceled = r;
      for (const e of r.events) fromNowEvents.push({ type: e.type, key: Buffer.from(e.kv!.key).toString(), rev: Number(e.kv!.modRevision) });
    });
    const watchId = ahead.id;

    c.partition([[f], others]);
    const expected: SeenEvent[] = [];
    const record = (type: number, key: string, rev: bigint | undefined): void => {
      if (Number(rev) >= futureStart) expected.push({ type, key, rev: Number(rev) });
    };
    const lease = await writer.leaseGrant(600);
    record(0, 'w/leased', (await writer.put({ key: b('w/leased'), value: b('l'), lease: lease.ID })).header!.revision);
    for (let i = 0; i < WRITES; i++) record(0, `w/${i}`, (await writer.put({ key: b(`w/${i}`), value: b(`v${i}`) })).header!.revision);
    record(1, 'w/3', (await writer.deleteRange({ key: b('w/3') })).header!.revision);
    await writer.compact({ revision: compactAt });
    c.heal();

    await waitFor('the follower to install the snapshot', () => (readFileSync(c.members[f]!.logPath, 'utf8').includes(APPLIED_SNAPSHOT) ? true : undefined), 40_000);
    // One more write after the install: once it arrives, anything duplicated would have too.
    const last = await writer.put({ key: b('w/last'), value: b('x') });
    record(0, 'w/last', last.header!.revision);
    await waitFor('every event on the watch', () => (seen.some((e) => e.key === 'w/last') ? true : undefined), 20_000);
    assert.deepEqual(seen, expected, 'each event exactly once, in revision order');
    assert.equal(ahead.id, watchId, 'the same watch: the stream never had to resume');
    const cancel = await waitFor('the compacted watch to be canceled', () => canceled);
    assert.equal(Number(cancel.compactRevision), compactAt);
    assert.deepEqual(fromNowEvents, []);

    // The follower serves the leader's data: the lease and its key, the delete, the compaction.
    const got = await onF.range({ key: b('w/leased'), serializable: true });
    assert.equal(got.kvs[0]?.lease, lease.ID);
    assert.equal((await onF.range({ key: b('w/3'), serializable: true })).count, 0n);
    assert.equal((await onF.range({ key: b('w/'), rangeEnd: b('w0'), serializable: true, countOnly: true })).count, BigInt(WRITES + 2));
    await assert.rejects(onF.range({ key: b('w/1'), revision: compactAt - 1, serializable: true }), /required revision has been compacted/);
    const ttl = etcdctl('real', ['--endpoints', c.members[f]!.clientUrl, 'lease', 'list']);
    assert.match(ttl.stdout, new RegExp(lease.ID.toString(16)));

    // etcd's snapshot transfer metrics, labelled with the peers' ids, on both ends.
    const metricsOf = async (i: number): Promise<string> => (await fetch(`${c.members[i]!.clientUrl}/metrics`)).text();
    const idOf = (text: string): string => /^etcd_server_id\{server_id="(\w+)"\} 1$/m.exec(text)?.[1] ?? '?';
    const leaderMetrics = await metricsOf(leader);
    const followerMetrics = await metricsOf(f);
    const sample = (text: string, series: string): number => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    assert.equal(sample(leaderMetrics, `etcd_network_snapshot_send_success{To="${idOf(followerMetrics)}"}`), 1);
    assert.equal(sample(followerMetrics, `etcd_network_snapshot_receive_success{From="${idOf(leaderMetrics)}"}`), 1);
    assert.equal(sample(followerMetrics, `etcd_network_snapshot_receive_inflights_total{From="${idOf(leaderMetrics)}"}`), 0);
  } finally {
    for (const cl of clients) cl.close();
    await c.close();
  }
});

function ctl(endpoints: string, ...args: string[]): string {
  const r = etcdctl('real', ['--endpoints', endpoints, ...args]);
  assert.equal(r.status, 0, `etcdctl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** endpoint hashkv on each member once they agree, by the real etcdctl. */
async function equalHashKv(endpoints: string[]): Promise<string> {
  return waitFor('equal hashkv on every member', () => {
    const hashes = endpoints.map((ep) => /"hash":(\d+)/.exec(ctl(ep, 'endpoint', 'hashkv', '-w', 'json'))?.[1]);
    return hashes.every((h) => h !== undefined && h === hashes[0]) ? hashes[0] : undefined;
  });
}

test('a follower stopped while the leader compacts, and a member added afterwards with an empty data dir, both catch up from the snapshot', async () => {
  const specs = await memberSpecs(['s0', 's1', 's2']);
  const c = await startCluster('ours', specs, SNAPSHOT_FLAGS);
  const extra: Member[] = [];
  const root = tempDir('etcd-snapshot-catchup-');
  let writer: Client | undefined;
  try {
    const all = specs.map(clientEndpoint);
    const leader = await waitFor('a leader', () => leaderEndpoint(all));
    const fi = specs.findIndex((s) => clientEndpoint(s) !== leader);
    const fSpec = specs[fi]!;
    const live = all.filter((e) => e !== clientEndpoint(fSpec));
    await stopMember(c.members[fi]!);

    writer = new Client({ endpoints: live.map((e) => `http://${e}`), dialTimeoutMs: 500, commandTimeoutMs: 5_000 });
    const lease = await writer.leaseGrant(600);
    await writer.put({ key: b('k/leased'), value: b('l'), lease: lease.ID });
    await writer.put({ key: b('k/gone'), value: b('g') });
    for (let i = 0; i < WRITES; i++) await writer.put({ key: b(`k/${i}`), value: b(`v${i}`) });
    await writer.deleteRange({ key: b('k/gone') });
    const compactAt = Number((await writer.put({ key: b('k/0'), value: b('again') })).header!.revision) - 10;
    await writer.compact({ revision: compactAt });

    const again = spawnMember('ours', fSpec, { initialCluster: initialCluster(specs), state: 'new', dataDir: c.members[fi]!.dataDir, extraArgs: SNAPSHOT_FLAGS });
    c.members[fi] = again;
    await waitReady(again);
    await waitFor('the restarted follower to apply the snapshot', () => (again.stderr().includes(APPLIED_SNAPSHOT) ? true : undefined));
    const expectedKeys = ctl(leader, 'get', '--prefix', 'k/', '--keys-only');
    await waitFor('every key on the restarted follower', () => (ctl(clientEndpoint(fSpec), 'get', '--prefix', 'k/', '--keys-only', '--consistency=s') === expectedKeys ? true : undefined));
    assert.equal(ctl(clientEndpoint(fSpec), 'get', 'k/gone', '--consistency=s'), '');
    assert.match(ctl(clientEndpoint(fSpec), 'get', 'k/leased', '-w', 'json', '--consistency=s'), new RegExp(`"lease":${lease.ID}`));
    const compacted = etcdctl('real', ['--endpoints', clientEndpoint(fSpec), 'get', 'k/1', `--rev=${compactAt - 1}`, '--consistency=s']);
    assert.match(compacted.stderr, /required revision has been compacted/);
    await equalHashKv(all);

    // A brand-new member joins after the leader compacted: it starts from the snapshot.
    const newSpec: MemberSpec = { name: 's3', clientPort: await freePort(), peerPort: await freePort() };
    const grown = [...specs, newSpec];
    // etcd refuses a member add until every member's link has been up a while ("unhealthy cluster").
    await waitFor('member add', () => (etcdctl('real', ['--endpoints', live.join(','), 'member', 'add', 's3', `--peer-urls=http://127.0.0.1:${newSpec.peerPort}`]).status === 0 ? true : undefined));
    const joined = spawnMember('ours', newSpec, { initialCluster: initialCluster(grown), state: 'existing', dataDir: join(root, 's3'), extraArgs: SNAPSHOT_FLAGS });
    extra.push(joined);
    await waitReady(joined);
    assert.ok(joined.stderr().includes(APPLIED_SNAPSHOT), 'the new member applied a snapshot');
    await waitFor('every key on the new member', () => (ctl(clientEndpoint(newSpec), 'get', '--prefix', 'k/', '--keys-only', '--consistency=s') === expectedKeys ? true : undefined));
    assert.match(ctl(clientEndpoint(newSpec), 'member', 'list'), /s3/);
    await equalHashKv(grown.map(clientEndpoint));
    // It takes part in the cluster from here on.
    await writer.put({ key: b('k/after'), value: b('a') });
    await waitFor('a later write on the new member', () => (ctl(clientEndpoint(newSpec), 'get', 'k/after', '--print-value-only', '--consistency=s') === 'a\n' ? true : undefined));
  } finally {
    writer?.close();
    await Promise.all(extra.map((m) => stopMember(m)));
    await c.stop();
    removeDir(root);
  }
});
