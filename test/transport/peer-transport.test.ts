import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PeerTransport, type TransportHooks } from '../../src/transport/peer-transport.js';
import { MessageType, type Message, type NodeId } from '../../src/raft/types.js';

function msg(from: NodeId, to: NodeId, term: number): Message {
  return { type: MessageType.Heartbeat, from, to, term, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, context: new Uint8Array(0) };
}

interface Node {
  t: PeerTransport;
  url: string;
  got: Message[];
  unreachable: NodeId[];
  removedByPeer: number;
  close(): Promise<void>;
}

async function node(id: NodeId, clusterId: bigint, removed: NodeId[] = [], port = 0): Promise<Node> {
  const n = { got: [] as Message[], unreachable: [] as NodeId[], removedByPeer: 0 } as Node;
  const hooks: TransportHooks = {
    receive: (m) => n.got.push(m),
    reportUnreachable: (p) => n.unreachable.push(p),
    reportSnapshot: () => {},
    isRemoved: (p) => removed.includes(p),
    onRemovedByPeer: () => n.removedByPeer++,
  };
  n.t = new PeerTransport(id, clusterId, hooks);
  const server = http.createServer((req, res) => {
    if (!n.t.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  n.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  n.close = async () => {
    n.t.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return n;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('messages flow both ways between two members, in order', async () => {
  const a = await node(1n, 0xabcn);
  const b = await node(2n, 0xabcn);
  try {
    a.t.addPeer(2n, [b.url]);
    b.t.addPeer(1n, [a.url]);
    // Sends before the stream is up are dropped and reported; keep sending until one lands.
    await until(() => {
      a.t.send([msg(1n, 2n, 1)]);
      return b.got.length > 0;
    }, 'stream a→b');
    // Probes of term 1 may still be in flight; the later messages must arrive once each, in order.
    a.t.send([msg(1n, 2n, 2), msg(1n, 2n, 3)]);
    const later = (): number[] => b.got.map((m) => m.term).filter((t) => t > 1);
    await until(() => later().length >= 2, 'two messages');
    assert.deepEqual(later(), [2, 3]);
    await until(() => {
      b.t.send([msg(2n, 1n, 9)]);
      return a.got.some((m) => m.term === 9 && m.from === 2n);
    }, 'stream b→a');
  } finally {
    await a.close();
    await b.close();
  }
});

test('a peer of another cluster is refused and reported unreachable', async () => {
  const a = await node(1n, 0x111n);
  const b = await node(2n, 0x222n);
  try {
    a.t.addPeer(2n, [b.url]);
    await until(() => a.unreachable.includes(2n), 'unreachable report');
    a.t.send([msg(1n, 2n, 1)]);
    assert.equal(b.got.length, 0);
  } finally {
    await a.close();
    await b.close();
  }
});

test('a removed member is told so', async () => {
  const a = await node(1n, 0x1n);
  const b = await node(2n, 0x1n, [1n]);
  try {
    a.t.addPeer(2n, [b.url]);
    await until(() => a.removedByPeer > 0, 'removed notice');
    const res = await fetch(`${b.url}/raft/stream`, { method: 'POST', headers: { 'x-etcd-cluster-id': '1', 'x-server-from': '1' } });
    assert.equal(await res.text(), 'the member has been permanently removed from the cluster\n');
    const other = await fetch(`${b.url}/raft/stream`, { method: 'POST', headers: { 'x-etcd-cluster-id': '5', 'x-server-from': '3' } });
    assert.equal(await other.text(), 'request cluster ID mismatch\n');
  } finally {
    await a.close();
    await b.close();
  }
});

test('a peer that was down while we kept redialling is reached as soon as it listens', async () => {
  // A port nobody listens on yet: the peer is down (a member killed, or still starting).
  const port = await new Promise<number>((resolve) => {
    const probe = http.createServer();
    probe.listen(0, '127.0.0.1', () => {
      const p = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(p));
    });
  });
  const a = await node(1n, 0xabcn);
  let b: Node | undefined;
  try {
    a.t.addPeer(2n, [`http://127.0.0.1:${port}`]);
    // Every refused dial is reported. A doubling backoff spends seconds on the first ten
    // and then waits seconds more after the peer is back, while raft can tell it nothing.
    await until(() => a.unreachable.filter((p) => p === 2n).length >= 10, 'ten refused dials');
    b = await node(2n, 0xabcn, [], port);
    const peer = b;
    await until(() => {
      a.t.send([msg(1n, 2n, 1)]);
      return peer.got.length > 0;
    }, 'a message through the redialled stream');
  } finally {
    await a.close();
    await b?.close();
  }
});
