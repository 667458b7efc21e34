// A listening port bound at start-up, before the data dir is touched, and served only
// once the member is ready. A port someone else holds then fails the start at once, in
// Go's words, as etcd does; binding after raft had started let a member become leader,
// publish itself and only then die on EADDRINUSE. Connections that arrive before the
// member serves are held, as they would wait in the accept backlog of etcd's listener,
// and handed over in arrival order when serving begins; until a handler reads them, a
// socket buffers at most its high-water mark of what the client sent.

import net from 'node:net';
import tls from 'node:tls';
import { watchHandshakeFailures, type HandshakeFailureSink } from '../pkg/tls-handshake-failures.js';

/** Go's error text for a port that cannot be bound, which operators grep logs for. */
export function goListenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  if (err.code === 'EADDRINUSE') return new Error(`listen tcp ${host}:${port}: bind: address already in use`);
  if (err.code === 'EADDRNOTAVAIL') return new Error(`listen tcp ${host}:${port}: bind: cannot assign requested address`);
  if (err.code === 'EACCES') return new Error(`listen tcp ${host}:${port}: bind: permission denied`);
  return err;
}

export interface BoundPort {
  readonly server: net.Server;
  /** Hands every connection to `onSocket`: first those that arrived while not serving. */
  serve(onSocket: (socket: net.Socket) => void): void;
  /** Stops listening and drops connections still waiting to be served. */
  close(): void;
}

export interface PortAddress {
  host: string;
  port: number;
  /** For an https:// URL: the handshake runs on arrival, ALPN offers h2 and http/1.1. */
  tls?: tls.TlsOptions | undefined;
  /** Told of each connection whose TLS handshake fails (etcd logs it as "rejected connection"). */
  onHandshakeFailure?: HandshakeFailureSink | undefined;
}

/** Binds host:port now; rejects with Go's words when it cannot. */
export function bindPort(addr: PortAddress): Promise<BoundPort> {
  let onSocket: ((socket: net.Socket) => void) | undefined;
  let waiting: net.Socket[] = [];
  const admit = (socket: net.Socket): void => {
    // Refused by a check that ran first (src/embed/tls-admission.ts).
    if (socket.destroyed) return;
    if (onSocket) {
      onSocket(socket);
      return;
    }
    // An unread socket that errors must not crash the member; it just leaves the queue.
    socket.on('error', () => socket.destroy());
    waiting.push(socket);
  };
  const server = addr.tls
    ? tls.createServer({ ...addr.tls, ALPNProtocols: ['h2', 'http/1.1'] }, admit)
    : net.createServer({ noDelay: true }, admit);
  // A failed handshake (no client certificate, untrusted CA) only ends that connection.
  if (addr.tls) {
    if (addr.onHandshakeFailure !== undefined) watchHandshakeFailures(server as tls.Server, addr.onHandshakeFailure);
    else server.on('tlsClientError', () => undefined);
  }
  const port: BoundPort = {
    server,
    serve: (handler) => {
      onSocket = handler;
      const queued = waiting;
      waiting = [];
      for (const s of queued) if (!s.destroyed) handler(s);
    },
    close: () => {
      server.close();
      for (const s of waiting) s.destroy();
      waiting = [];
    },
  };
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException): void => reject(goListenError(err, addr.host, addr.port));
    server.once('error', failed);
    server.listen({ host: addr.host, port: addr.port, backlog: 1024 }, () => {
      server.off('error', failed);
      resolve(port);
    });
  });
}

/** Binds every address, or none: on a failure the ones already bound are released. */
export async function bindPorts(addrs: PortAddress[]): Promise<BoundPort[]> {
  const bound: BoundPort[] = [];
  try {
    for (const a of addrs) bound.push(await bindPort(a));
  } catch (err) {
    for (const b of bound) b.close();
    throw err;
  }
  return bound;
}
