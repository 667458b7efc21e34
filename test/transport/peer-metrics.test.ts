// etcd's etcd_network_* peer families follow the raft streams between two members: the
// bytes one writes to a peer are the bytes that peer reads from it, a link that comes up
// is an active peer, one that drops is a disconnection, and a message dropped while the
// link is down is a send failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PeerTransport } from '../../src/transport/peer-transport.js';
import { MessageType, type Message, type NodeId } from '../../src/raft/types.js';
import { metricsRegistry } from '../../src/metrics/registry.js';

function msg(from: NodeId, to: NodeId, term: number, payload = 0): Message {
  const entries = payload > 0 ? [{ term, index: 1, type: 0, data: new Uint8Array(payload) }] : [];
  return { type: MessageType.App, from, to, term, logTerm: 0, index: 0, entries, commit: 0, reject: false, rejectHint: 0, context: new Uint8Array(0) };
}

interface Member {
  t: PeerTransport;
  url: string;
  got: Message[];
  close(): Promise<void>;
}

async function member(id: NodeId): Promise<Member> {
  const m = { got: [] as Message[] } as Member;
  m.t = new PeerTransport(id, 0xc1n, {
    receive: (x) => m.got.push(x),
    reportUnreachable: () => {},
    reportSnapshot: () => {},
    isRemoved: () => false,
  });
  const server = http.createServer((req, res) => {
    if (!m.t.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  m.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  m.close = async () => {
    m.t.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return m;
}

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One series' value from the registry's exposition (0 when the series does not exist). */
async function sample(series: string): Promise<number> {
  const line = (await metricsRegistry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

test('bytes sent to a peer are the bytes it receives; links up and down show as active and disconnected peers', async () => {
  // Ids of their own: the registry is shared by every test in this process.
  const a = await member(0xa1n);
  const b = await member(0xb1n);
  try {
    a.t.addPeer(0xb1n, [b.url]);
    const active = 'etcd_network_active_peers{Local="a1",Remote="b1"}';
    await until(async () => (await sample(active)) === 1, 'link a→b up');
    a.t.send([msg(0xa1n, 0xb1n, 1, 1000), msg(0xa1n, 0xb1n, 2, 10)]);
    await until(() => b.got.length === 2, 'two messages at b');
    const sent = await sample('etcd_network_peer_sent_bytes_total{To="b1"}');
    assert.ok(sent > 1010, `sent ${sent} bytes for 1010 bytes of entries`);
    assert.equal(await sample('etcd_network_peer_received_bytes_total{From="a1"}'), sent);
    // Read again: the plain-number counts are not added twice.
    assert.equal(await sample('etcd_network_peer_sent_bytes_total{To="b1"}'), sent);

    // b goes away: the link drops, and what a sends meanwhile is dropped and counted.
    await b.close();
    await until(async () => (await sample(active)) === 0, 'link a→b down');
    assert.equal(await sample('etcd_network_disconnected_peers_total{Local="a1",Remote="b1"}'), 1);
    const failuresBefore = await sample('etcd_network_peer_sent_failures_total{To="b1"}');
    a.t.send([msg(0xa1n, 0xb1n, 3), msg(0xa1n, 0xb1n, 4)]);
    assert.equal(await sample('etcd_network_peer_sent_failures_total{To="b1"}'), failuresBefore + 2);
    assert.equal(await sample('etcd_network_peer_sent_bytes_total{To="b1"}'), sent, 'dropped messages are not counted as sent');
    // A message to a member that is no peer is nobody's failure.
    a.t.send([msg(0xa1n, 0xeeen, 5)]);
    assert.equal(await sample('etcd_network_peer_sent_failures_total{To="eee"}'), 0);
  } finally {
    await a.close();
    await b.close().catch(() => undefined);
  }
});

test('a stream that sends garbage counts as a receive failure from that peer', async () => {
  const b = await member(0xb2n);
  try {
    const res = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${b.url}/raft/stream`, {
        method: 'POST',
        headers: { 'x-etcd-cluster-id': 'c1', 'x-server-from': 'a2', 'content-type': 'application/octet-stream' },
      });
      req.on('response', (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', reject);
      // A frame claiming 3 bytes of message: too short to be one.
      req.write(Buffer.from([0, 0, 0, 3, 1, 2, 3]));
    });
    assert.equal(res, 200);
    await until(async () => (await sample('etcd_network_peer_received_failures_total{From="a2"}')) === 1, 'receive failure counted');
    assert.equal(await sample('etcd_network_peer_received_bytes_total{From="a2"}'), 7);
  } finally {
    await b.close();
  }
});
