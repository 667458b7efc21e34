// /metrics as operators scrape it: etcd's metric names with their types and help
// texts, and values that follow what the member did. Real etcd 3.4.23 is the reference
// for the names; values are checked against the requests this test makes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { etcdctl, freePort, removeDir, startMember, stopMember, tempDir, type Member } from '../helpers/processes.js';

interface Family {
  type: string;
  help: string;
}

/** Parses the text exposition: families (from # HELP / # TYPE) and sample values by series. */
function parseExposition(text: string): { families: Map<string, Family>; samples: Map<string, number> } {
  const families = new Map<string, Family>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const help = /^# HELP (\S+) (.*)$/.exec(line);
    if (help) {
      families.set(help[1]!, { type: families.get(help[1]!)?.type ?? '', help: help[2]! });
      continue;
    }
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      families.set(type[1]!, { help: families.get(type[1]!)?.help ?? '', type: type[2]! });
      continue;
    }
    const sample = /^(\S+?(?:\{.*\})?) (\S+)$/.exec(line);
    if (sample) samples.set(sample[1]!, Number(sample[2]));
  }
  return { families, samples };
}

async function scrape(url: string): Promise<ReturnType<typeof parseExposition>> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return parseExposition(await res.text());
}

function putAndGet(m: Member, n: number): void {
  for (let i = 0; i < n; i++) assert.equal(etcdctl('real', ['--endpoints', m.endpoint, 'put', `k${i}`, 'v']).status, 0);
  assert.equal(etcdctl('real', ['--endpoints', m.endpoint, 'get', 'k0']).status, 0);
}

test('/metrics exposes etcd\'s metric families and values that follow the requests', async (t) => {
  const real = await startMember('real');
  const metricsPort = await freePort();
  const ours = await startMember('ours', { extraArgs: ['--listen-metrics-urls', `http://127.0.0.1:${metricsPort}`] });
  t.after(async () => {
    await stopMember(real);
    await stopMember(ours);
    removeDir(real.dataDir);
    removeDir(ours.dataDir);
  });
  putAndGet(real, 3);
  putAndGet(ours, 3);
  const theirs = await scrape(real.clientUrl);
  const mine = await scrape(ours.clientUrl);

  await t.test('every etcd_* and grpc_server_* family has etcd\'s type and help text', () => {
    const exported = [...mine.families.keys()].filter((n) => n.startsWith('etcd_') || n.startsWith('grpc_server_'));
    assert.ok(exported.length >= 35, `only ${exported.length} etcd families`);
    for (const name of exported) assert.deepEqual(mine.families.get(name), theirs.families.get(name), name);
  });

  await t.test('leader, proposals and revision gauges describe the member', () => {
    const s = mine.samples;
    assert.equal(s.get('etcd_server_has_leader'), 1);
    assert.equal(s.get('etcd_server_is_leader'), 1);
    assert.equal(s.get('etcd_server_leader_changes_seen_total'), 1);
    assert.equal(s.get('etcd_server_proposals_failed_total'), 0);
    assert.equal(s.get('etcd_server_proposals_pending'), 0);
    assert.equal(s.get('etcd_server_proposals_committed_total'), s.get('etcd_server_proposals_applied_total'));
    assert.equal(s.get('etcd_debugging_mvcc_current_revision'), 4);
    assert.equal(s.get('etcd_debugging_mvcc_keys_total'), 3);
    assert.equal(s.get('etcd_mvcc_put_total'), 3);
    assert.equal(s.get('etcd_server_quota_backend_bytes'), 2 * 1024 ** 3);
    assert.ok((s.get('etcd_disk_wal_fsync_duration_seconds_count') ?? 0) >= 3, 'each acknowledged put was fsynced');
    assert.ok((s.get('etcd_mvcc_db_total_size_in_bytes') ?? 0) > 0);
  });

  await t.test('gRPC calls are counted by service, method and code, and unused series start at zero', () => {
    const series = (method: string, code: string) =>
      `grpc_server_handled_total{grpc_type="unary",grpc_service="etcdserverpb.KV",grpc_method="${method}",grpc_code="${code}"}`;
    assert.equal(mine.samples.get(series('Put', 'OK')), 3);
    assert.equal(mine.samples.get(series('Range', 'OK')), 1);
    assert.equal(mine.samples.get(series('Txn', 'OK')), 0);
    assert.equal(
      mine.samples.get('grpc_server_started_total{grpc_type="bidi_stream",grpc_service="etcdserverpb.Watch",grpc_method="Watch"}'),
      0,
    );
  });

  await t.test('--listen-metrics-urls serves /metrics and /health but not the gateway', async () => {
    const url = `http://127.0.0.1:${metricsPort}`;
    const m = await scrape(url);
    assert.equal(m.samples.get('etcd_server_has_leader'), 1);
    const checksBefore = m.samples.get('etcd_server_health_success') ?? 0;
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { health: 'true', reason: '' });
    assert.equal((await fetch(`${url}/v3/kv/range`, { method: 'POST', body: '{}' })).status, 404);
    const after = await scrape(url);
    assert.equal(after.samples.get('etcd_server_health_success'), checksBefore + 1);
  });
});

/**
 * Families one server exports and the other cannot: the runtimes' own (go_*, nodejs_*,
 * prom-client's split CPU counters and heap gauge), etcd's grpc proxy (not in etcd-ts),
 * bbolt's commit phases (lmdb-js times none of them: see src/metrics/registry.ts), and the
 * v2 store's read and write counters (etcd counts its membership bookkeeping there; etcd-ts
 * keeps membership in the backend).
 */
const NOT_COMPARED =
  /^(go_|nodejs_|etcd_server_go_version$|etcd_grpc_proxy_|process_cpu_(user|system)_seconds_total$|process_heap_bytes$|etcd_debugging_disk_backend_commit_(rebalance|spill|write)_duration_seconds$|etcd_debugging_store_(reads|writes)_total$)/;

/** The soft limit of a row of /proc/<pid>/limits, "unlimited" read as Go reads it (2^64 - 1). */
function processLimit(m: Member, row: string): number {
  const line = readFileSync(`/proc/${m.proc.pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(row));
  assert.ok(line, `${row} in /proc/${m.proc.pid}/limits`);
  const soft = line.slice(row.length).trim().split(/\s+/)[0]!;
  return soft === 'unlimited' ? 2 ** 64 - 1 : Number(soft);
}

/** Scrapes until `name` reads `want` (etcd samples some gauges only on its next backend commit). */
async function untilSample(url: string, name: string, want: number | undefined): Promise<number | undefined> {
  const deadline = Date.now() + 10_000;
  let seen: number | undefined;
  while (Date.now() < deadline) {
    seen = (await scrape(url)).samples.get(name);
    if (seen === want) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return seen;
}

/** A sample's value once two scrapes 200 ms apart agree (at most ~5 s of trying; the last value otherwise). */
async function settledSample(url: string, name: string): Promise<number | undefined> {
  let last = (await scrape(url)).samples.get(name);
  for (let i = 0; i < 25; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const now = (await scrape(url)).samples.get(name);
    if (now === last) return now;
    last = now;
  }
  return last;
}

test('after the same requests both servers export the same families, and the process, scrape and backend ones agree', async (t) => {
  const members = { real: await startMember('real'), ours: await startMember('ours') };
  const snapDir = tempDir('etcd-metrics-snap-');
  t.after(async () => {
    for (const m of Object.values(members)) {
      await stopMember(m);
      removeDir(m.dataDir);
    }
    removeDir(snapDir);
  });
  /**
   * etcd_mvcc_db_open_read_transactions after a write and nothing since, once settled: etcd
   * closes a read's transaction only at its next backend commit, and commits only writes, so
   * after a read it stays one higher until the next write (the test ends with a write too).
   */
  const idleReadTxns: Record<string, number | undefined> = {};
  const after: Record<string, ReturnType<typeof parseExposition>> = {};
  for (const [kind, m] of Object.entries(members)) {
    putAndGet(m, 3);
    assert.equal(etcdctl('real', ['--endpoints', m.endpoint, 'put', 'before', 'snapshot']).status, 0);
    idleReadTxns[kind] = await settledSample(m.clientUrl, 'etcd_mvcc_db_open_read_transactions');
    const save = etcdctl('real', ['--endpoints', m.endpoint, 'snapshot', 'save', join(snapDir, `${kind}.db`)]);
    assert.equal(save.status, 0, save.stderr);
    assert.equal(etcdctl('real', ['--endpoints', m.endpoint, 'endpoint', 'hashkv']).status, 0);
    // A write after the snapshot: etcd refreshes its open-read-transactions gauge when it commits one.
    assert.equal(etcdctl('real', ['--endpoints', m.endpoint, 'put', 'after', 'snapshot']).status, 0);
    after[kind] = await scrape(m.clientUrl);
  }

  await t.test('the same family names, types and help texts, but for the documented exceptions', () => {
    const compared = (e: ReturnType<typeof parseExposition>) =>
      new Map([...e.families].filter(([name]) => !NOT_COMPARED.test(name)).sort(([a], [b]) => (a < b ? -1 : 1)));
    assert.deepEqual(compared(after.ours!), compared(after.real!));
  });

  await t.test('os_fd_limit and process_virtual_memory_max_bytes are the process limits; os_fd_used is within them', () => {
    for (const [kind, m] of Object.entries(members)) {
      const s = after[kind]!.samples;
      assert.equal(s.get('os_fd_limit'), processLimit(m, 'Max open files'), kind);
      assert.equal(s.get('process_virtual_memory_max_bytes'), processLimit(m, 'Max address space'), kind);
      const used = s.get('os_fd_used') ?? NaN;
      assert.ok(Number.isInteger(used) && used > 0 && used <= (s.get('os_fd_limit') ?? 0), `${kind}: os_fd_used ${used}`);
    }
  });

  await t.test('the /metrics handler counts each scrape once it is served, and is in flight while it is', async () => {
    for (const [kind, m] of Object.entries(members)) {
      const first = await scrape(m.clientUrl);
      const second = await scrape(m.clientUrl);
      const ok = (e: ReturnType<typeof parseExposition>) => e.samples.get('promhttp_metric_handler_requests_total{code="200"}') ?? NaN;
      assert.equal(ok(second) - ok(first), 1, kind);
      assert.equal(second.samples.get('promhttp_metric_handler_requests_in_flight'), 1, kind);
      for (const code of ['500', '503']) assert.equal(second.samples.get(`promhttp_metric_handler_requests_total{code="${code}"}`), 0, `${kind} ${code}`);
    }
  });

  await t.test('the snapshot is timed once, in etcd\'s buckets; open read transactions return to their idle value', async () => {
    const buckets = (e: ReturnType<typeof parseExposition>) =>
      [...e.samples.keys()].filter((k) => k.startsWith('etcd_disk_backend_snapshot_duration_seconds_bucket'));
    assert.deepEqual(buckets(after.ours!), buckets(after.real!));
    for (const [kind, m] of Object.entries(members)) {
      // Observed when the server is done with the stream, which may be just after etcdctl has read it all.
      assert.equal(await untilSample(m.clientUrl, 'etcd_disk_backend_snapshot_duration_seconds_count', 1), 1, kind);
      const name = 'etcd_mvcc_db_open_read_transactions';
      const atIdle = idleReadTxns[kind];
      assert.ok(atIdle !== undefined, `${kind}: ${name} at idle`);
      const end = await untilSample(m.clientUrl, name, atIdle);
      // etcd counts a superseded read transaction until the reads begun on it end and a
      // commit rolls it back, which a test cannot time: under load its gauge ends one above
      // or below the reference (2 of 3 full-suite runs this session). Ours must return exactly.
      if (kind === 'ours') assert.equal(end, atIdle, kind);
      else assert.ok(end !== undefined && Math.abs(end - atIdle) <= 1, `${kind}: ${name} ends at ${end}, ${atIdle} after the first writes`);
    }
  });

  await t.test('pending watch events and the unused v2 store\'s families read zero on both', () => {
    for (const kind of Object.keys(members)) {
      const s = after[kind]!.samples;
      for (const name of ['etcd_debugging_mvcc_pending_events_total', 'etcd_debugging_store_expires_total', 'etcd_debugging_store_watch_requests_total', 'etcd_debugging_store_watchers']) {
        assert.equal(s.get(name), 0, `${kind} ${name}`);
      }
    }
  });
});
