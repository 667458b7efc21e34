// A port bound at start-up holds the connections that arrive before the member serves,
// and hands them over, bytes intact and in order, when serving begins.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { bindPort, type BoundPort } from '../../src/api/bound-port.js';

function connect(port: number, hello: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => {
      c.write(hello);
      resolve(c);
    });
    c.once('error', reject);
  });
}

function bytesOf(socket: net.Socket, n: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    socket.on('data', (b: Buffer) => {
      got += b.toString();
      if (got.length >= n) resolve(got);
    });
  });
}

function portOf(p: BoundPort): number {
  return (p.server.address() as net.AddressInfo).port;
}

/** Waits until the listener has accepted `n` connections (they are then held, unserved). */
async function accepted(p: BoundPort, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const count = await new Promise<number>((resolve, reject) => p.server.getConnections((err, c) => (err ? reject(err) : resolve(c))));
    if (count >= n) return;
    assert.ok(Date.now() < deadline, `only ${count} of ${n} connections accepted`);
    await new Promise((r) => setImmediate(r));
  }
}

test('connections accepted before serve() are handed over in arrival order with their bytes', async (t) => {
  const p = await bindPort({ host: '127.0.0.1', port: 0 });
  t.after(() => p.close());
  const clients = [await connect(portOf(p), 'first'), await connect(portOf(p), 'second')];
  t.after(() => clients.forEach((c) => c.destroy()));
  await accepted(p, 2);
  const served: Promise<string>[] = [];
  p.serve((socket) => served.push(bytesOf(socket, 5)));
  assert.equal(served.length, 2, 'both held connections are handed over as serving begins');
  assert.equal(await served[0], 'first');
  assert.equal((await served[1]).slice(0, 6), 'second');
  // Once serving, a new connection goes straight to the handler.
  const later = await connect(portOf(p), 'third');
  t.after(() => later.destroy());
  await accepted(p, 3);
  assert.equal(served.length, 3);
  assert.equal(await served[2], 'third');
});

test('close() ends connections still waiting to be served', async () => {
  const p = await bindPort({ host: '127.0.0.1', port: 0 });
  const c = await connect(portOf(p), 'early');
  await accepted(p, 1);
  const closed = new Promise<void>((r) => c.once('close', () => r()));
  c.on('error', () => undefined);
  c.resume();
  p.close();
  await closed;
});

test('a port already held is refused in Go\'s words', async () => {
  const first = await bindPort({ host: '127.0.0.1', port: 0 });
  const port = portOf(first);
  try {
    await assert.rejects(bindPort({ host: '127.0.0.1', port }), { message: `listen tcp 127.0.0.1:${port}: bind: address already in use` });
  } finally {
    first.close();
  }
});
