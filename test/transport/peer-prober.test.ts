// The prober between members: what a peer port answers to GET /raft/probing, what one probe
// makes of an answer (or of no answer), and what a status reading logs and records — etcd's
// two warnings with its field names, and the round-trip histogram. Clocks and probes are
// injected where the outcome depends on them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PeerTransport } from '../../src/transport/peer-transport.js';
import { PeerProber, PROBING_PATH, goJsonTime, httpProbe, type ProbeOutcome, type SendProbe } from '../../src/transport/peer-prober.js';
import { metricsRegistry } from '../../src/metrics/registry.js';

interface Warning {
  msg: string;
  fields: Record<string, unknown>;
}

function prober(peerHex: string, send: SendProbe, now: () => number): { p: PeerProber; warnings: Warning[] } {
  const warnings: Warning[] = [];
  const p = new PeerProber(peerHex, ['http://127.0.0.1:1'], 'ROUND_TRIPPER_RAFT_MESSAGE', { send, now, warn: (msg, fields) => warnings.push({ msg, fields }) });
  return { p, warnings };
}

const answer = (o: ProbeOutcome): SendProbe => () => Promise.resolve(o);

async function serve(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

async function roundTripCount(peerHex: string): Promise<number> {
  const series = `etcd_network_peer_round_trip_time_seconds_count{To="${peerHex}"}`;
  const line = (await metricsRegistry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

test('a peer port answers GET /raft/probing with etcd\'s status, content type and JSON body, to any method', async () => {
  const t = new PeerTransport(1n, 0xabcn, { receive: () => {}, reportUnreachable: () => {}, reportSnapshot: () => {}, isRemoved: () => false });
  const s = await serve((req, res) => {
    if (!t.handle(req, res)) res.writeHead(404).end();
  });
  try {
    for (const method of ['GET', 'POST']) {
      const before = Date.now();
      const res = await fetch(`${s.url}${PROBING_PATH}?any=query`, { method });
      const body = await res.text();
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(body)));
      assert.match(body, /^\{"OK":true,"Now":"[^"]+"\}\n$/);
      const now = Date.parse((JSON.parse(body) as { Now: string }).Now);
      assert.ok(now >= before && now <= Date.now(), 'Now is the peer\'s clock at answering');
    }
    assert.equal((await fetch(`${s.url}${PROBING_PATH}/`)).status, 404, 'only the exact path, as etcd\'s mux');
  } finally {
    t.stop();
    await s.close();
  }
});

test('the probe answer\'s time is written as Go writes a time.Time in JSON: fraction without trailing zeros', () => {
  const tz = process.env.TZ;
  process.env.TZ = 'UTC';
  try {
    assert.equal(goJsonTime(Date.UTC(2026, 10, 24, 18, 31, 33, 470)), '2026-11-24T18:31:33.47Z');
    assert.equal(goJsonTime(Date.UTC(2026, 10, 24, 18, 31, 33, 0)), '2026-11-24T18:31:33Z');
    assert.equal(goJsonTime(Date.UTC(2026, 10, 24, 18, 31, 33, 5)), '2026-11-24T18:31:33.005Z');
  } finally {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  }
});

test('a probe reports a peer that answers, one that refuses the connection, and one that answers something else, in Go\'s words', async () => {
  const probe = httpProbe(undefined);
  const peer = new PeerTransport(2n, 0xabcn, { receive: () => {}, reportUnreachable: () => {}, reportSnapshot: () => {}, isRemoved: () => false });
  const good = await serve((req, res) => {
    if (!peer.handle(req, res)) res.writeHead(404).end();
  });
  const other = await serve((_req, res) => res.writeHead(404).end('404 page not found\n'));
  const gone = await serve(() => {});
  await gone.close();
  try {
    const before = Date.now();
    const ok = await probe(good.url + PROBING_PATH, new AbortController().signal);
    assert.equal(ok.ok, true);
    if (ok.ok) assert.ok(ok.peerNowMs >= before && ok.peerNowMs <= Date.now());

    assert.deepEqual(await probe(other.url + PROBING_PATH, new AbortController().signal), {
      ok: false,
      error: `got unexpected HTTP status code 404 Not Found from ${other.url}${PROBING_PATH}`,
    });
    assert.deepEqual(await probe(gone.url + PROBING_PATH, new AbortController().signal), {
      ok: false,
      error: `dial tcp ${new URL(gone.url).host}: connect: connection refused`,
    });
  } finally {
    peer.stop();
    await good.close();
    await other.close();
  }
});

test('a peer whose clock is more than a second behind is reported with etcd\'s clock-drift warning', async () => {
  const now = 1_800_000_000_000;
  // Round trip 10 ms: the smoothed one is 1.25 ms, and half of it is taken off the difference.
  const { p, warnings } = prober('aa01', answer({ ok: true, rttMs: 10, peerNowMs: now - 2_000 }), () => now);
  const counted = await roundTripCount('aa01');
  await p.probe();
  assert.equal(p.check(), 30_000, 'a healthy peer is read again in 30 s');
  assert.deepEqual(warnings, [
    {
      msg: 'prober found high clock drift',
      fields: { 'round-tripper-name': 'ROUND_TRIPPER_RAFT_MESSAGE', 'remote-peer-id': 'aa01', 'clock-drift': '1.999375s', rtt: '1.25ms' },
    },
  ]);
  assert.equal(await roundTripCount('aa01'), counted + 1, 'each reading records the smoothed round trip');
});

test('a peer within a second, or whose clock is ahead, draws no clock-drift warning', async () => {
  const now = 1_800_000_000_000;
  for (const peerNowMs of [now - 900, now + 5_000]) {
    const { p, warnings } = prober('aa02', answer({ ok: true, rttMs: 1, peerNowMs }), () => now);
    await p.probe();
    p.check();
    assert.deepEqual(warnings, []);
  }
});

test('a peer that cannot be probed is reported unhealthy with etcd\'s fields, without an error before any probe', async () => {
  const error = 'dial tcp 127.0.0.1:1: connect: connection refused';
  const { p, warnings } = prober('aa03', answer({ ok: false, error }), Date.now);
  assert.equal(p.check(), 5_000, 'an unhealthy peer is read again in 5 s');
  await p.probe();
  p.check();
  assert.deepEqual(warnings, [
    { msg: 'prober detected unhealthy status', fields: { 'round-tripper-name': 'ROUND_TRIPPER_RAFT_MESSAGE', 'remote-peer-id': 'aa03', rtt: '0s' } },
    { msg: 'prober detected unhealthy status', fields: { 'round-tripper-name': 'ROUND_TRIPPER_RAFT_MESSAGE', 'remote-peer-id': 'aa03', rtt: '0s', error } },
  ]);
});

test('stopping a prober aborts its probe in flight, and the late outcome changes nothing', async () => {
  let aborted = false;
  const send: SendProbe = (_endpoint, signal) =>
    new Promise((resolve) => {
      signal.addEventListener('abort', () => {
        aborted = true;
        resolve({ ok: false, error: 'aborted' });
      });
    });
  const { p, warnings } = prober('aa04', send, Date.now);
  const probing = p.probe();
  p.stop();
  await probing;
  assert.equal(aborted, true);
  p.check();
  assert.deepEqual(warnings.map((w) => w.fields.error), [undefined], 'the aborted probe left no error behind');
});
