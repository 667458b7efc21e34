// /metrics as operators scrape it: etcd's metric names with their types and help
// texts, and values that follow what the member did. Real etcd 3.4.23 is the reference
// for the names; values are checked against the requests this test makes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdctl, freePort, removeDir, startMember, stopMember, type Member } from '../helpers/processes.js';

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
