// Members probe each other over their peer ports, as real etcd's members do: GET
// /raft/probing answers with the peer's clock, every member's probes feed
// etcd_network_peer_round_trip_time_seconds for each peer, and a peer that stopped draws
// "prober detected unhealthy status" from each round tripper. Run side by side with a real
// etcd 3.4 cluster of the same shape and compared with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { stopMember, type Member } from '../helpers/processes.js';
import { FAST_RAFT, memberSpecs, startCluster, waitFor, type Cluster } from '../helpers/cluster.js';

const ROUND_TRIP = 'etcd_network_peer_round_trip_time_seconds';
const UNHEALTHY = 'prober detected unhealthy status';

function get(url: string): Promise<{ status: number; contentType: string | undefined; contentLength: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], contentLength: res.headers['content-length'], body }));
      })
      .on('error', reject);
  });
}

async function exposition(m: Member): Promise<string> {
  return (await fetch(`${m.clientUrl}/metrics`)).text();
}

function memberIdOf(text: string): string {
  return /^etcd_server_id\{server_id="(\w+)"\} 1$/m.exec(text)?.[1] ?? '?';
}

/** The round-trip count a member's exposition has for peer `to` (undefined before the first reading). */
function roundTripCount(text: string, to: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${ROUND_TRIP}_count{To="${to}"} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

/** What must match real etcd in the family: help, type, label names and bucket bounds. */
function familyShape(text: string): { meta: string[]; labels: string[]; le: string[] } {
  const lines = text.split('\n').filter((l) => l.startsWith(`# HELP ${ROUND_TRIP} `) || l.startsWith(`# TYPE ${ROUND_TRIP} `));
  const buckets = text.split('\n').filter((l) => l.startsWith(`${ROUND_TRIP}_bucket{`));
  const labels = new Set<string>();
  const le = new Set<string>();
  for (const b of buckets) {
    for (const m of b.matchAll(/(\w+)="([^"]*)"/g)) {
      labels.add(m[1]!);
      if (m[1] === 'le') le.add(m[2]!);
    }
  }
  return { meta: lines, labels: [...labels].sort(), le: [...le].sort((a, b) => Number(a) - Number(b)) };
}

type LogLine = Record<string, unknown>;
function logLines(m: Member): LogLine[] {
  return m.stderr().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
}

interface Observed {
  shape: ReturnType<typeof familyShape>;
  /** Member 0's round-trip counts for member 1, before and after a reading. */
  counts: [number, number];
  /** Member 0's first warning from each round tripper about the stopped member 2, without what varies by run. */
  warnings: LogLine[];
}

/**
 * On a running 3-member cluster: waits until member 0 records round trips to both peers,
 * stops member 2, then waits for member 0's next reading of member 1 and for its warnings
 * about member 2.
 */
async function observe(c: Cluster): Promise<Observed> {
  const [m0, m1, m2] = c.members as [Member, Member, Member];
  const id1 = memberIdOf(await exposition(m1));
  const id2 = memberIdOf(await exposition(m2));
  const first = await waitFor(`${m0.kind}: round trips to both peers`, async () => {
    const text = await exposition(m0);
    const n1 = roundTripCount(text, id1);
    return n1 !== undefined && roundTripCount(text, id2) !== undefined ? { text, n1 } : undefined;
  });
  await stopMember(m2);
  // A healthy peer's status is read again 30 s after the first reading.
  const later = await waitFor(`${m0.kind}: the round-trip count to member 1 grows`, async () => {
    const n = roundTripCount(await exposition(m0), id1);
    return n !== undefined && n > first.n1 ? n : undefined;
  }, 60_000);
  const warnings = await waitFor(`${m0.kind}: warnings about the stopped member from both round trippers`, () => {
    const seen = new Map<unknown, LogLine>();
    for (const l of logLines(m0)) {
      if (l.msg !== UNHEALTHY || l['remote-peer-id'] !== id2 || seen.has(l['round-tripper-name'])) continue;
      const { ts: _ts, caller: _caller, rtt, error, ...rest } = l;
      // The smoothed round trip is a measurement; the port is the stopped member's own.
      seen.set(l['round-tripper-name'], { ...rest, 'remote-peer-id': 'member 2', rtt: typeof rtt, error: String(error).replace(/:\d+:/, ':PORT:') });
    }
    return seen.size === 2 ? [...seen.values()].sort((x, y) => String(x['round-tripper-name']).localeCompare(String(y['round-tripper-name']))) : undefined;
  }, 60_000);
  return { shape: familyShape(first.text), counts: [first.n1, later], warnings };
}

test('a peer port answers GET /raft/probing as real etcd\'s: status, content type, a JSON line with the peer\'s clock', async () => {
  const answers = [];
  for (const kind of ['real', 'ours'] as const) {
    const specs = await memberSpecs(['p0']);
    const c = await startCluster(kind, specs, FAST_RAFT);
    try {
      const before = Date.now() - 1;
      const r = await get(`http://127.0.0.1:${specs[0]!.peerPort}/raft/probing`);
      const parsed = JSON.parse(r.body) as { OK: unknown; Now: string };
      const now = Date.parse(parsed.Now);
      assert.ok(now >= before && now <= Date.now() + 1, `${kind}: Now is the member's clock (${parsed.Now})`);
      assert.equal(r.contentLength, String(Buffer.byteLength(r.body)), `${kind}: Content-Length`);
      answers.push({
        status: r.status,
        contentType: r.contentType,
        keys: Object.keys(parsed),
        ok: parsed.OK,
        nowFormat: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(parsed.Now),
        lineEnd: r.body.endsWith('}\n'),
      });
    } finally {
      await c.stop();
    }
  }
  assert.deepEqual(answers[1], answers[0]);
  assert.deepEqual(answers[0], { status: 200, contentType: 'text/plain; charset=utf-8', keys: ['OK', 'Now'], ok: true, nowFormat: true, lineEnd: true });
});

test('a three-member cluster records round trips to each peer and warns about a stopped one, as real etcd', async () => {
  const real = await startCluster('real', await memberSpecs(['n0', 'n1', 'n2']), [...FAST_RAFT, '--logger=zap']);
  let ours: Cluster | undefined;
  try {
    ours = await startCluster('ours', await memberSpecs(['n0', 'n1', 'n2']), FAST_RAFT);
    const [theirs, mine] = await Promise.all([observe(real), observe(ours)]);
    assert.deepEqual(mine.shape, theirs.shape);
    assert.deepEqual(theirs.shape.labels, ['To', 'le']);
    assert.equal(theirs.shape.le.length, 17);
    assert.ok(mine.counts[1] > mine.counts[0], `our count grew: ${mine.counts.join(' -> ')}`);
    assert.deepEqual(mine.warnings, theirs.warnings);
    assert.deepEqual(
      theirs.warnings.map((w) => [w['round-tripper-name'], w.error, w.rtt]),
      [
        ['ROUND_TRIPPER_RAFT_MESSAGE', 'dial tcp 127.0.0.1:PORT: connect: connection refused', 'string'],
        ['ROUND_TRIPPER_SNAPSHOT', 'dial tcp 127.0.0.1:PORT: connect: connection refused', 'string'],
      ],
    );
  } finally {
    await Promise.all([real.stop(), ours?.stop()]);
  }
});
