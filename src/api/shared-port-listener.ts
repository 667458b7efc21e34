// Each client URL's port (bound by src/api/bound-port.ts) serves both gRPC (HTTP/2 with
// prior knowledge, as every gRPC client speaks it over plaintext) and HTTP/1.1 (the JSON
// gateway, /health, /version, /metrics), the way etcd multiplexes its client port.
//
// Plaintext: a connection's first bytes decide: the HTTP/2 client preface starts with
// "PRI * HTTP/2.0", which no HTTP/1.1 request line can start with.

import type net from 'node:net';
import type tls from 'node:tls';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { AuthorityRepairSocket } from './authority-repair-socket.js';
import { CONNECTION_PREFACE } from '../pkg/h2-frame.js';
import { EMPTY_SETTINGS_FRAME, H2ConnectionProbe } from './h2-connection-probe.js';
import { H2FrontConnection, type OwnedCallTaker } from './h2-front-connection.js';

/** Bytes needed to tell the protocols apart; "PRI " is never an HTTP/1.1 method we serve. */
const SNIFF_BYTES = 4;
/** A client that sends nothing for this long is dropped before it holds a socket forever. */
const SNIFF_TIMEOUT_MS = 10_000;

export interface Http2Injector {
  injectConnection(connection: Duplex): void;
}

/** Where a client port's connections go once the member serves. */
export interface ClientPortTargets {
  grpc: Http2Injector;
  http1: http.Server;
  /**
   * The calls an HTTP/2 connection's front end serves itself (h2-front-connection.ts); absent,
   * connections go to node's HTTP/2 server as they come (through the :authority repair when needed).
   */
  front?: OwnedCallTaker;
}

function looksLikeHttp2(head: Buffer): boolean {
  const n = Math.min(head.length, CONNECTION_PREFACE.length);
  return head.subarray(0, n).equals(CONNECTION_PREFACE.subarray(0, n));
}

/** Reads a connection's first bytes and hands it to gRPC or to HTTP/1.1. */
function routeBySniffing(socket: net.Socket, opts: ClientPortTargets): void {
  let head: Buffer = Buffer.alloc(0);
  const onSilence = (): void => {
    socket.destroy();
  };
  socket.setTimeout(SNIFF_TIMEOUT_MS);
  socket.on('timeout', onSilence);
  const onData = (chunk: Buffer): void => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    if (head.length < SNIFF_BYTES) return;
    socket.off('data', onData);
    socket.pause();
    socket.setTimeout(0);
    // setTimeout(0) stops the timer but keeps listeners: a later timeout must not destroy.
    socket.off('timeout', onSilence);
    // Both parsers take the socket itself with the sniffed bytes unshifted: HTTP/1.1
    // reads them through the stream, and an HTTP/2 session reads bytes already buffered
    // on the socket before it starts consuming the native handle (Node >= 15).
    if (looksLikeHttp2(head)) {
      if (opts.front !== undefined) opts.grpc.injectConnection(new H2FrontConnection(socket, opts.front, head));
      else probeHttp2(socket, head, opts.grpc);
      return;
    }
    socket.unshift(head);
    opts.http1.emit('connection', socket);
    socket.resume();
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
}

/**
 * Runs H2ConnectionProbe on an HTTP/2 connection's first bytes, then hands the socket to
 * gRPC: as itself when its requests need no repair (Node's HTTP/2 then reads the native
 * handle directly), else through AuthorityRepairSocket.
 */
function probeHttp2(socket: net.Socket, head: Buffer, grpc: Http2Injector): void {
  const probe = new H2ConnectionProbe();
  const sendSettings = (): void => {
    socket.write(EMPTY_SETTINGS_FRAME);
  };
  let handedOver = false;
  const handOver = (verdict: 'raw' | 'repair', bytes: Buffer): void => {
    handedOver = true;
    socket.off('data', onData);
    socket.pause();
    socket.setTimeout(0);
    socket.off('timeout', onTimeout);
    socket.unshift(bytes);
    grpc.injectConnection(verdict === 'raw' ? socket : new AuthorityRepairSocket(socket));
  };
  const onData = (chunk: Buffer): void => {
    const result = probe.write(chunk, sendSettings);
    if (result) handOver(result.verdict, result.bytes);
  };
  // A client owes the ACK right away; one that keeps quiet without it is dropped like any
  // silent connection. One that acknowledged but sends no request yet gets the repairing
  // stream, which needs no verdict in advance.
  const onTimeout = (): void => {
    if (probe.awaitingAck) socket.destroy();
    else handOver('repair', probe.giveUp().bytes);
  };
  socket.setTimeout(SNIFF_TIMEOUT_MS);
  socket.on('timeout', onTimeout);
  socket.on('data', onData);
  onData(head);
  if (!handedOver) socket.resume();
}

/**
 * What a client port does with each connection. Plaintext: the first bytes decide. An
 * https:// URL: ALPN decides as Go's server does — "h2" goes to the HTTP/2 side (gRPC, and
 * plain HTTP/2 requests through the fallback), "http/1.1" to HTTP/1.1; a client that
 * offers no ALPN is sniffed like a plaintext connection.
 */
export function clientConnectionRouter(targets: ClientPortTargets, secure: boolean): (socket: net.Socket) => void {
  if (!secure) return (socket) => routeBySniffing(socket, targets);
  return (socket) => {
    const alpn = (socket as tls.TLSSocket).alpnProtocol;
    socket.setNoDelay(true);
    if (alpn === 'h2') targets.grpc.injectConnection(targets.front !== undefined ? new H2FrontConnection(socket, targets.front) : new AuthorityRepairSocket(socket));
    else if (alpn === 'http/1.1') targets.http1.emit('connection', socket);
    else routeBySniffing(socket, targets);
  };
}
