// The peer-link proxy: forwarding, blackholes per source, delays that keep byte order,
// cutting connections, and telling connecting processes apart through /proc.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/processes.js';
import { connectingPid } from './socket-owner.js';
import { DROP, PASS, TcpProxy } from './tcp-proxy.js';

const DEADLINE_MS = 5_000;

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('tcp proxy', () => {
  let echo: net.Server;
  let echoPort: number;
  let serverConnections = 0;
  /** Names the tests give their client sockets, by local port. */
  const names = new Map<number, string>();
  let proxy: TcpProxy;

  before(async () => {
    echo = net.createServer((s) => {
      serverConnections++;
      s.on('error', () => undefined);
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    echoPort = (echo.address() as net.AddressInfo).port;
    proxy = new TcpProxy({
      listenPort: await freePort(),
      targetPort: echoPort,
      identify: async (remotePort) => {
        await until(() => names.has(remotePort), 'the test to name its socket');
        return names.get(remotePort)!;
      },
    });
    await proxy.start();
  });

  after(async () => {
    await proxy.close();
    await new Promise<void>((r) => echo.close(() => r()));
  });

  /** A client connection named `name`, collecting what it receives. */
  async function connect(name: string): Promise<{ sock: net.Socket; received: () => string; closed: () => boolean }> {
    const sock = net.connect(proxy.listenPort, '127.0.0.1');
    sock.on('error', () => undefined);
    let data = '';
    let closed = false;
    sock.on('data', (c: Buffer) => (data += c.toString()));
    sock.on('close', () => (closed = true));
    await new Promise<void>((r) => sock.once('connect', () => r()));
    names.set(sock.localPort!, name);
    return { sock, received: () => data, closed: () => closed };
  }

  it('forwards both ways in pass mode', async () => {
    const c = await connect('a');
    c.sock.write('hello');
    await until(() => c.received() === 'hello', 'the echo');
    c.sock.destroy();
  });

  it('blackholes a dropped source: accepted, never forwarded, while other sources pass', async () => {
    proxy.setMode('dropped', DROP);
    const before = serverConnections;
    const d = await connect('dropped');
    d.sock.write('lost');
    const p = await connect('passing');
    p.sock.write('kept');
    await until(() => p.received() === 'kept', 'the passing echo');
    await until(() => proxy.accepted.get('dropped') === 1, 'the proxy to accept the dropped source');
    assert.equal(serverConnections, before + 1, 'only the passing source reached the server');
    assert.equal(d.received(), '');
    // Healing closes the blackholed connection so its owner redials.
    proxy.setMode('dropped', PASS);
    await until(() => d.closed(), 'the blackholed connection to close');
    assert.equal(p.closed(), false);
    p.sock.destroy();
  });

  it('cuts a live connection when its source starts being dropped, and on cut()', async () => {
    const c = await connect('victim');
    c.sock.write('x');
    await until(() => c.received() === 'x', 'the echo');
    proxy.setMode('victim', DROP);
    await until(() => c.closed(), 'the cut');
    proxy.setMode('victim', PASS);
    const c2 = await connect('victim');
    c2.sock.write('y');
    await until(() => c2.received() === 'y', 'the echo after healing');
    proxy.cut();
    await until(() => c2.closed(), 'cut()');
  });

  it('delays without reordering, also across a switch from delay to pass', async () => {
    const c = await connect('slow');
    proxy.setMode('slow', { kind: 'delay', ms: 30 });
    let expected = '';
    for (let i = 0; i < 50; i++) {
      const piece = `${i},`;
      expected += piece;
      c.sock.write(piece);
      if (i === 25) proxy.setMode('slow', PASS);
      await new Promise((r) => setImmediate(r));
    }
    await until(() => c.received().length === expected.length, 'all bytes');
    assert.equal(c.received(), expected);
    c.sock.destroy();
  });

  it('finds the process that opened a loopback connection', async () => {
    const server = net.createServer(async (s) => {
      const pid = await connectingPid((server.address() as net.AddressInfo).port, s.remotePort!, [1, process.pid]);
      s.end(String(pid));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const sock = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    let got = '';
    sock.on('data', (c: Buffer) => (got += c.toString()));
    await new Promise<void>((r) => sock.once('close', () => r()));
    assert.equal(got, String(process.pid));
    await new Promise<void>((r) => server.close(() => r()));
  });
});
