// The mvcc op counters and the peer network families, side by side with real etcd 3.4:
// the same requests against a fresh member of each must leave etcd_mvcc_{range,put,
// delete,txn}_total (and their etcd_debugging_ twins, the put size, the watch events sent
// and the keys compacted) equal after every step, and a three-member cluster of each must expose the same etcd_network_* families
// with the same labels.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { REAL_ETCDCTL, etcdctl, removeDir, startMember, stopMember, type Member } from '../helpers/processes.js';
import { FAST_RAFT, memberSpecs, startCluster } from '../helpers/cluster.js';

const MVCC_SERIES =
  /^(etcd_(?:debugging_)?mvcc_(?:range|put|delete|txn)_total|etcd_debugging_mvcc_(?:total_put_size_in_bytes|events_total|db_compaction_keys_total)) (\S+)$/;

async function exposition(m: Member | string): Promise<string> {
  const url = typeof m === 'string' ? `http://${m}` : m.clientUrl;
  return (await fetch(`${url}/metrics`)).text();
}

/** etcd_server_client_requests_total by its labels (in a fixed order: the two expositions order them differently). */
async function clientRequests(m: Member): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await exposition(m)).split('\n')) {
    const s = /^etcd_server_client_requests_total\{(.*)\} (\S+)$/.exec(line);
    if (s) out[s[1]!.split(',').sort().join(',')] = Number(s[2]);
  }
  return out;
}

/** etcd_network_client_grpc_{sent,received}_bytes_total: the protobuf sizes of the messages each way. */
async function grpcBytes(m: Member): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await exposition(m)).split('\n')) {
    const s = /^(etcd_network_client_grpc_(?:sent|received)_bytes_total) (\S+)$/.exec(line);
    if (s) out[s[1]!] = Number(s[2]);
  }
  return out;
}

async function mvccCounters(m: Member): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await exposition(m)).split('\n')) {
    const s = MVCC_SERIES.exec(line);
    if (s) out[s[1]!] = Number(s[2]);
  }
  return out;
}

/** One step of the sequence: etcdctl arguments (with stdin for txn), or a function of the member. */
type Step = { ctl: string[]; input?: string } | { name: string; run(m: Member): Promise<void> };

function stepName(s: Step): string {
  return 'ctl' in s ? s.ctl.join(' ') : s.name;
}

async function runStep(m: Member, s: Step): Promise<void> {
  if ('ctl' in s) etcdctl('real', ['--endpoints', m.endpoint, ...s.ctl], s.input);
  else await s.run(m);
}

/** A prev_kv watcher from revision 7 (past the compaction) on prefix `w`, stopped once it has seen `events` events. */
function watchPrevKv(events: number): Step {
  return {
    name: `watch --prev-kv --rev=7 w (until ${events} events)`,
    run: (m) =>
      new Promise<void>((resolve, reject) => {
        const p = spawn(REAL_ETCDCTL, ['--endpoints', m.endpoint, 'watch', '--prefix', 'w', '--prev-kv', '--rev=7'], { env: { ...process.env, ETCDCTL_API: '3' } });
        let out = '';
        const timer = setTimeout(() => {
          p.kill();
          reject(new Error(`watch saw only: ${out}`));
        }, 10_000);
        p.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if ((out.match(/^(PUT|DELETE)$/gm) ?? []).length >= events) {
            clearTimeout(timer);
            p.kill();
            resolve();
          }
        });
      }),
  };
}

/** Grants a 100 s lease with Debian's etcdctl and returns its id (hex). */
function grantLease(endpoint: string): string {
  const grant = etcdctl('real', ['--endpoints', endpoint, 'lease', 'grant', '100']);
  const id = /lease (\w+) granted/.exec(grant.stdout)?.[1];
  assert.ok(id, grant.stdout + grant.stderr);
  return id;
}

/** Grants a lease, attaches two keys to it and revokes it: one revocation deleting two keys. */
const leaseWithTwoKeys: Step = {
  name: 'lease with two keys, revoked',
  run: async (m) => {
    const id = grantLease(m.endpoint);
    for (const k of ['l1', 'l2']) assert.equal(etcdctl('real', ['--endpoints', m.endpoint, 'put', k, 'v', `--lease=${id}`]).status, 0);
    assert.equal(etcdctl('real', ['--endpoints', m.endpoint, 'lease', 'revoke', id]).status, 0);
  },
};

/** Grants a lease and renews it once (a LeaseKeepAlive stream with one request and one response). */
const leaseKeepAliveOnce: Step = {
  name: 'lease grant, keep-alive --once',
  run: async (m) => {
    const id = grantLease(m.endpoint);
    assert.equal(etcdctl('real', ['--endpoints', m.endpoint, 'lease', 'keep-alive', '--once', id]).status, 0);
  },
};

const healthChecks: Step = {
  name: 'GET /health twice',
  run: async (m) => {
    for (let i = 0; i < 2; i++) assert.equal((await fetch(`${m.clientUrl}/health`)).status, 200);
  },
};

// The sequence of /tmp/compat.sh first (real etcd: range 4, put 2, delete 1, txn 1), then
// the cases where per-request and per-transaction counting differ.
const STEPS: Step[] = [
  { ctl: ['put', 'a', 'b'] },
  { ctl: ['get', 'a'] },
  { ctl: ['put', 'a', 'c', '--prev-kv'] },
  { ctl: ['lease', 'revoke', '123'] },
  { ctl: ['del', 'a'] },
  { ctl: ['get', 'a', '--rev=100'] },
  { ctl: ['compaction', '1'] },
  { ctl: ['compaction', '1'] },
  { ctl: ['put', 'a', 'b'] },
  { ctl: ['put', 'b', 'c'] },
  // Two compares, then two puts: a read transaction of two ranges and a write one of two puts.
  { ctl: ['txn'], input: 'value("a") = "b"\nversion("x") = "0"\n\nput a 1\nput b 2\n\nput c 3\n\n' },
  // A failed compare, then two gets in the write transaction.
  { ctl: ['txn'], input: 'value("zz") = "q"\n\nput a 1\n\nget a\nget b\n\n' },
  // Read-only: one compare and one get in one read transaction.
  { ctl: ['txn'], input: 'value("a") = "1"\n\nget a\n\n\n' },
  { ctl: ['txn'], input: 'mod("a") > "0"\n\ndel a --prev-kv\n\n\n' },
  // A compaction that removes revisions, waited for: the keys it compacted are counted.
  { ctl: ['compaction', '6', '--physical'] },
  { ctl: ['put', 'b', 'x', '--ignore-value'] },
  { ctl: ['put', 'nokey', 'x', '--ignore-value'] },
  { ctl: ['del', 'b', '--prev-kv'] },
  { ctl: ['del', 'nothing'] },
  { ctl: ['get', '', '--prefix', '--sort-by=MODIFY'] },
  { ctl: ['get', 'c', '--consistency=s', '--count-only'] },
  { ctl: ['endpoint', 'health'] },
  healthChecks,
  leaseWithTwoKeys,
  { ctl: ['put', 'w1', 'a'] },
  { ctl: ['put', 'w1', 'b'] },
  { ctl: ['del', 'w1'] },
  watchPrevKv(3),
  leaseKeepAliveOnce,
  { ctl: ['member', 'list'] },
  { ctl: ['endpoint', 'status'] },
];

test('etcd_mvcc_* op counters equal real etcd\'s after every step of the same requests', async () => {
  const real = await startMember('real');
  // The same advertised peer URL: the same member and cluster IDs, so response headers (and
  // with them the gRPC byte counts) are the same size on both.
  const ours = await startMember('ours', { advertisedPeerPort: Number(new URL(real.args[real.args.indexOf('--listen-peer-urls') + 1]!).port) });
  try {
    const compatEnd = STEPS.findIndex((s) => 'ctl' in s && s.ctl[0] === 'compaction') + 2;
    for (const [i, step] of STEPS.entries()) {
      await runStep(real, step);
      await runStep(ours, step);
      const theirs = await mvccCounters(real);
      const mine = await mvccCounters(ours);
      assert.equal(Object.keys(theirs).length, 11, 'real etcd exports the eleven series compared');
      assert.deepEqual(mine, theirs, `after step ${i + 1}: ${stepName(step)}`);
      if ('ctl' in step && step.ctl.includes('--physical')) assert.ok((theirs.etcd_debugging_mvcc_db_compaction_keys_total ?? 0) > 0, 'the compaction removed revisions');
      const theirBytes = await grpcBytes(real);
      assert.equal(Object.keys(theirBytes).length, 2, 'real etcd exports both byte counters');
      assert.deepEqual(await grpcBytes(ours), theirBytes, `gRPC bytes after step ${i + 1}: ${stepName(step)}`);
      // Every step above is etcdctl over gRPC (or plain /health): counted alike by call kind and client version.
      assert.deepEqual(await clientRequests(ours), await clientRequests(real), `client requests after step ${i + 1}: ${stepName(step)}`);
      if (i + 1 === compatEnd) {
        assert.equal((await clientRequests(ours))['client_api_version="3.4",type="unary"'], compatEnd, 'one unary call per etcdctl command');
        // The compat sequence's figures, as real etcd 3.4.23 reports them.
        assert.equal(mine.etcd_mvcc_range_total, 4);
        assert.equal(mine.etcd_mvcc_put_total, 2);
        assert.equal(mine.etcd_mvcc_delete_total, 1);
        assert.equal(mine.etcd_mvcc_txn_total, 1);
      }
    }
  } finally {
    await stopMember(real);
    await stopMember(ours);
    removeDir(real.dataDir);
    removeDir(ours.dataDir);
  }
});

/**
 * The series a gRPC call moves, non-zero, labels sorted (the two expositions order them
 * differently): grpc_server_{started,handled,msg_received,msg_sent}_total, the client
 * requests by kind and version, and the gRPC bytes each way.
 */
async function grpcCallSeries(m: Member): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await exposition(m)).split('\n')) {
    const s = /^(grpc_server_(?:started|handled|msg_received|msg_sent)_total|etcd_server_client_requests_total|etcd_network_client_grpc_\w+_bytes_total)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (s && Number(s[3]) !== 0) out[`${s[1]}{${(s[2] ?? '').split(',').sort().join(',')}}`] = Number(s[3]);
  }
  return out;
}

/** POSTs a JSON body to the gateway and returns the answer's text. */
async function gatewayPost(m: Member, path: string, body: string): Promise<string> {
  return (await fetch(`${m.clientUrl}${path}`, { method: 'POST', body })).text();
}

/** Opens a gateway watch on "foo", puts foo once it is created, and hangs up after the event. */
async function gatewayWatchOneEvent(m: Member): Promise<void> {
  const hangUp = new AbortController();
  const res = await fetch(`${m.clientUrl}/v3/watch`, { method: 'POST', body: '{"create_request":{"key":"Zm9v"}}', signal: hangUp.signal });
  const reader = res.body!.getReader();
  let text = '';
  let put = false;
  while (!/"events"/.test(text)) {
    const { value, done } = await reader.read();
    assert.ok(!done, `the watch ended early: ${text}`);
    text += Buffer.from(value).toString();
    if (!put && /"created":true/.test(text)) {
      put = true;
      await gatewayPost(m, '/v3/kv/put', '{"key":"Zm9v","value":"YmF6"}');
    }
  }
  hangUp.abort();
  await reader.cancel().catch(() => undefined);
}

const GATEWAY_CALLS: [string, string][] = [
  ['/v3/kv/put', '{"key":"Zm9v","value":"YmFy"}'],
  ['/v3/kv/range', '{"key":"Zm9v"}'],
  ['/v3/kv/range', '{"key":"Zm9v","range_end":"Zm9w"}'],
  // An error from the member: counted with its code, nothing sent.
  ['/v3/kv/range', '{"key":"Zm9v","revision":100}'],
  // A body the gateway cannot decode: no gRPC call at all.
  ['/v3/kv/put', '{"key":1}'],
  ['/v3/kv/txn', '{"compare":[{"key":"Zm9v","target":"VERSION","version":"1"}],"success":[{"request_range":{"key":"Zm9v"}}]}'],
  ['/v3/lease/grant', '{"TTL":100,"ID":7}'],
  // A bidi stream of two requests, and an empty one (opened and ended without messages).
  ['/v3/lease/keepalive', '{"ID":7}{"ID":7}'],
  ['/v3/lease/keepalive', ''],
  ['/v3/cluster/member/list', '{}'],
  ['/v3/maintenance/status', '{}'],
];

test('JSON gateway calls count as the gRPC calls real etcd\'s gateway makes to its member', async () => {
  const real = await startMember('real');
  // Same IDs, so headers (and the byte counts) are the same size; see the first test.
  const ours = await startMember('ours', { advertisedPeerPort: Number(new URL(real.args[real.args.indexOf('--listen-peer-urls') + 1]!).port) });
  try {
    for (const m of [real, ours]) {
      for (const [path, body] of GATEWAY_CALLS) await gatewayPost(m, path, body);
      await gatewayWatchOneEvent(m);
    }
    // The watch stream ends (Canceled) once the member sees the caller gone: wait for that.
    const watchEnded = 'grpc_server_handled_total{grpc_code="Canceled",grpc_method="Watch",grpc_service="etcdserverpb.Watch",grpc_type="bidi_stream"}';
    let theirs: Record<string, number> = {};
    let mine: Record<string, number> = {};
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      theirs = await grpcCallSeries(real);
      mine = await grpcCallSeries(ours);
      if (theirs[watchEnded] === 1 && mine[watchEnded] === 1) break;
    }
    assert.equal(theirs[watchEnded], 1, 'real etcd ended the gateway watch as canceled');
    assert.equal(theirs['etcd_server_client_requests_total{client_api_version="unknown",type="unary"}'], 9, 'real etcd: nine unary calls without a client version');
    assert.deepEqual(mine, theirs);
  } finally {
    await stopMember(real);
    await stopMember(ours);
    removeDir(real.dataDir);
    removeDir(ours.dataDir);
  }
});

/** etcd_network_* family names with their label names, and the samples, from one exposition. */
function networkFamilies(text: string): { families: Map<string, string>; samples: Map<string, number> } {
  const families = new Map<string, Set<string>>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const s = /^(etcd_network_\w+?)(?:_bucket|_sum|_count)?(\{[^}]*\})? (\S+)$/.exec(line);
    if (!s) continue;
    samples.set(line.slice(0, line.lastIndexOf(' ')), Number(s[3]));
    const labels = families.get(s[1]!) ?? new Set<string>();
    for (const l of (s[2] ?? '').matchAll(/(\w+)="/g)) if (l[1] !== 'le') labels.add(l[1]!);
    families.set(s[1]!, labels);
  }
  return { families: new Map([...families].map(([k, v]) => [k, [...v].sort().join(',')])), samples };
}

test('a three-member cluster exposes real etcd\'s etcd_network_* peer families, with its labels', async () => {
  const realSpecs = await memberSpecs(['n0', 'n1', 'n2']);
  const ourSpecs = await memberSpecs(['n0', 'n1', 'n2']);
  const real = await startCluster('real', realSpecs, FAST_RAFT);
  let ours: Awaited<ReturnType<typeof startCluster>> | undefined;
  try {
    ours = await startCluster('ours', ourSpecs, FAST_RAFT);
    for (const c of [real, ours]) for (let i = 0; i < 5; i++) assert.equal(etcdctl('real', ['--endpoints', c.endpoints, 'put', `k${i}`, 'v']).status, 0);

    const union = async (c: typeof real): Promise<{ families: Map<string, string>; perMember: ReturnType<typeof networkFamilies>[]; ids: string[] }> => {
      const perMember: ReturnType<typeof networkFamilies>[] = [];
      const ids: string[] = [];
      const families = new Map<string, string>();
      for (const m of c.members) {
        const text = await exposition(m);
        ids.push(/^etcd_server_id\{server_id="(\w+)"\} 1$/m.exec(text)?.[1] ?? '?');
        const f = networkFamilies(text);
        perMember.push(f);
        for (const [k, v] of f.families) families.set(k, v);
      }
      return { families, perMember, ids };
    };
    const theirs = await union(real);
    const mine = await union(ours);
    // Failure counters appear on either side only if a message went to a peer not listening
    // yet, which depends on the order the members came up in; round-trip times appear with the
    // prober's first reading, 5 s after a peer is added (peer-probing-vs-real-etcd.test.ts waits
    // for them). Where both have one of these, its labels must agree.
    const startOrderDependent = ['etcd_network_peer_sent_failures_total', 'etcd_network_peer_received_failures_total', 'etcd_network_peer_round_trip_time_seconds'];
    const peerFamilies = (f: Map<string, string>) => new Map([...f].filter(([k]) => !startOrderDependent.includes(k)));
    assert.deepEqual(peerFamilies(mine.families), peerFamilies(theirs.families));
    for (const name of startOrderDependent) {
      if (mine.families.has(name) && theirs.families.has(name)) assert.equal(mine.families.get(name), theirs.families.get(name), name);
    }
    for (const name of ['etcd_network_active_peers', 'etcd_network_peer_sent_bytes_total', 'etcd_network_peer_received_bytes_total']) {
      assert.ok(mine.families.has(name), `${name} is exported`);
    }

    // Followers count the writes they apply, as the leader does; reads only where served.
    const writes = async (c: typeof real): Promise<{ perMember: string[]; ranges: number }> => {
      const perMember: string[] = [];
      let ranges = 0;
      for (const m of c.members) {
        const v = await mvccCounters(m);
        perMember.push(`put ${v.etcd_mvcc_put_total} delete ${v.etcd_mvcc_delete_total} txn ${v.etcd_mvcc_txn_total}`);
        ranges += v.etcd_mvcc_range_total ?? NaN;
      }
      return { perMember, ranges };
    };
    const theirWrites = await writes(real);
    assert.deepEqual(theirWrites.perMember, Array(3).fill('put 5 delete 0 txn 0'));
    assert.deepEqual(await writes(ours), theirWrites);

    // Every member sees both others as active, under its own id, and has sent bytes to the leader or from it.
    for (const [i, f] of mine.perMember.entries()) {
      const local = mine.ids[i]!;
      for (const remote of mine.ids.filter((id) => id !== local)) {
        assert.equal(f.samples.get(`etcd_network_active_peers{Local="${local}",Remote="${remote}"}`), 1, `${local} sees ${remote} active`);
      }
      const sent = [...f.samples].filter(([k]) => k.startsWith('etcd_network_peer_sent_bytes_total')).reduce((a, [, v]) => a + v, 0);
      const received = [...f.samples].filter(([k]) => k.startsWith('etcd_network_peer_received_bytes_total')).reduce((a, [, v]) => a + v, 0);
      assert.ok(sent > 0 && received > 0, `${local} sent ${sent} and received ${received} bytes`);
    }
  } finally {
    await real.stop();
    await ours?.stop();
  }
});

test('the auth store revision and the defragmentation metrics follow real etcd\'s through the same requests', async () => {
  const real = await startMember('real');
  const ours = await startMember('ours');
  const series = /^(etcd_debugging_auth_revision|etcd_disk_defrag_inflight|etcd_disk_backend_defrag_duration_seconds_count) (\S+)$/;
  const read = async (m: Member): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const line of (await exposition(m)).split('\n')) {
      const s = series.exec(line);
      if (s) out[s[1]!] = Number(s[2]);
    }
    return out;
  };
  const steps = [
    ['user', 'add', 'u', '--new-user-password=p'],
    ['role', 'add', 'r'],
    ['user', 'grant-role', 'u', 'r'],
    ['role', 'grant-permission', 'r', 'read', 'a'],
    ['defrag'],
    ['user', 'add', 'root', '--new-user-password=p'],
    ['auth', 'enable'],
    ['auth', 'disable', '--user=root:p'],
  ];
  try {
    assert.deepEqual(await read(ours), await read(real), 'at start');
    for (const step of steps) {
      for (const m of [real, ours]) assert.equal(etcdctl('real', ['--endpoints', m.endpoint, ...step]).status, 0, step.join(' '));
      const theirs = await read(real);
      assert.equal(Object.keys(theirs).length, 3);
      assert.deepEqual(await read(ours), theirs, step.join(' '));
    }
    assert.equal((await read(ours)).etcd_disk_backend_defrag_duration_seconds_count, 1);
  } finally {
    await stopMember(real);
    await stopMember(ours);
    removeDir(real.dataDir);
    removeDir(ours.dataDir);
  }
});
