// Reports every connection whose TLS handshake failed on a TLS server (the client and peer
// ports), once, with Go's error text (go-tls-errors.ts) and the addresses etcd logs. A
// handshake that succeeds reports nothing; a failed one only ends that connection.

import type net from 'node:net';
import type tls from 'node:tls';
import { goHandshakeError, goHostPort } from './go-tls-errors.js';

export interface HandshakeFailure {
  /** The client's "host:port", as Go prints a remote address. */
  remoteAddr: string;
  /** The name the client asked for (SNI), "" when it sent none. */
  serverName: string;
  /** Go's error text. */
  error: string;
}

export type HandshakeFailureSink = (failure: HandshakeFailure) => void;

/** Both ends of a connection in Go's "host:port" form. */
interface Ends {
  local: string;
  remote: string;
}

/** The name the client asked for in its hello (SNI), "" when it sent none: Go's ServerName, as etcd logs it. */
export function serverNameOf(socket: tls.TLSSocket): string {
  return typeof socket.servername === 'string' ? socket.servername : '';
}

function endsOf(socket: net.Socket): Ends {
  return { local: goHostPort(socket.localAddress, socket.localPort), remote: goHostPort(socket.remoteAddress, socket.remotePort) };
}

/**
 * The connection's addresses, read when it came. Node drops a socket's handle when it refuses
 * a client certificate or the client hangs up mid-handshake, and reports the failure only
 * afterwards, when the TLS socket can no longer tell its addresses; the plain socket it wraps
 * (an internal but long-standing field) leads to what was read on arrival.
 */
function endsAtFailure(socket: tls.TLSSocket, seen: WeakMap<net.Socket, Ends>): Ends {
  const raw = (socket as tls.TLSSocket & { _parent?: net.Socket })._parent;
  return (raw !== undefined ? seen.get(raw) : undefined) ?? endsOf(socket);
}

/** Calls `sink` for each connection to `server` whose handshake fails; one call per connection at most. */
export function watchHandshakeFailures(server: tls.Server, sink: HandshakeFailureSink): void {
  const seen = new WeakMap<net.Socket, Ends>();
  server.prependListener('connection', (raw: net.Socket) => {
    seen.set(raw, endsOf(raw));
  });
  // Node emits this at most once per connection, and never for one whose handshake completed.
  server.on('tlsClientError', (err: NodeJS.ErrnoException & { reason?: string }, socket: tls.TLSSocket) => {
    const ends = endsAtFailure(socket, seen);
    // A string (OpenSSL's verify code) at run time, whatever the typings say.
    const refused: unknown = socket.authorizationError;
    const error = goHandshakeError({
      code: err.code,
      reason: err.reason,
      message: err.message,
      syscall: err.syscall,
      authorizationError: typeof refused === 'string' ? refused : undefined,
      local: ends.local,
      remote: ends.remote,
    });
    if (error === undefined) return;
    sink({ remoteAddr: ends.remote, serverName: serverNameOf(socket), error });
  });
}
