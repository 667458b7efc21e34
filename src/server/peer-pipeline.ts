// Small POSTs to one peer URL over persistent HTTP/1.1 connections: a follower forwards
// every client keep-alive to the leader as its own `POST /leases` (etcd's wire format,
// which a real etcd leader must keep understanding), and node's http.ClientRequest
// machinery cost more CPU per forwarded keep-alive than the whole keep-alive. Here a
// request is one preformatted buffer written on a corked socket (all requests of one event
// loop turn on a connection leave in one write), answers are read back in order by a minimal
// response parser, and no per-request timer exists: one slow timer per connection fails
// the connection when its oldest request is overdue.
//
// With an `upgrade`, each new connection first asks the peer to take it over (an etcd-ts
// leader does, lease-peer-upgrade.ts) and then carries many pipelined requests. A peer
// that refuses (an etcd leader answers 405) gets plain connections with one request in
// flight each, as Go's client sends them. Requests here are idempotent (renew,
// time-to-live), so one a closing connection dropped unanswered is sent once more.

import net from 'node:net';
import tls from 'node:tls';
import type { PeerClientTls } from '../transport/peer-http.js';
import { parseHttp1Head } from './http1-head.js';

/** Connections kept per peer URL that took the upgrade; requests go to the one with the fewest waiting. */
export const PIPELINE_CONNECTIONS_MAX = 2;
/** Requests in flight per upgraded connection; more wait in the pipeline's queue. */
export const PIPELINE_DEPTH_MAX = 256;
/**
 * Connections per peer URL without the upgrade, one request in flight on each, as Go's
 * http client does: etcd 3.4's peer server answers a pipelined request only after
 * seconds (measured against etcd 3.4.23: the second of two pipelined POSTs /leases took
 * 5 s), so plain connections are not pipelined.
 */
export const PLAIN_CONNECTIONS_MAX = 64;
/** Requests waiting for a free slot per peer URL; beyond this a request fails at once. */
export const PIPELINE_QUEUE_MAX = 16 * 1024;
/** An answer larger than this ends the connection (peer lease answers are tens of bytes, time-to-live with keys more). */
const RESPONSE_BYTES_MAX = 8 * 1024 * 1024;
/** How often a connection checks its oldest request against the deadline and its idleness. */
const CHECK_INTERVAL_MS = 250;
/** An idle connection is closed after this long (node's server closes idle ones after 5 s anyway). */
const IDLE_CLOSE_MS = 4000;

/** Asked for on every new connection, which then carries the same requests (see lease-peer-upgrade.ts). */
export interface PipelineUpgrade {
  path: string;
  protocol: string;
}

export interface PipelineAnswer {
  status: number;
  body: Buffer;
}

interface Pending {
  wire: Buffer;
  resolve: (a: PipelineAnswer) => void;
  reject: (err: Error) => void;
  /** When it was written, for the deadline (ms, Date.now()). */
  sentAtMs: number;
  /** Already sent once on a connection that closed without answering. */
  resent: boolean;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** Parses HTTP/1.1 answers out of a byte stream, in order. */
class ResponseReader {
  private buf: Buffer = Buffer.alloc(0);
  private status = 0;
  /** Bytes of body still expected with Content-Length; -1 while reading the head, -2 for chunked, -3 for until-close. */
  private bodyLeft = -1;
  private chunks: Buffer[] = [];
  private chunkLeft = -1;
  /** The server said `Connection: close` on the answer being read. */
  closeAfter = false;

  /** Feeds bytes; calls `onAnswer` per complete answer (1xx interim answers are skipped). */
  feed(data: Buffer, onAnswer: (a: PipelineAnswer, close: boolean) => void): void {
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    if (this.buf.length > RESPONSE_BYTES_MAX) throw new Error('peer answer too large');
    for (;;) {
      if (this.bodyLeft === -1) {
        const end = this.buf.indexOf(HEAD_END);
        if (end < 0) return;
        this.readHead(this.buf.toString('latin1', 0, end));
        this.buf = this.buf.subarray(end + 4);
        if (this.status >= 100 && this.status < 200 && this.status !== 101) {
          this.bodyLeft = -1;
          continue;
        }
      }
      if (this.bodyLeft >= 0) {
        if (this.buf.length < this.bodyLeft) return;
        const body = this.buf.subarray(0, this.bodyLeft);
        this.buf = this.buf.subarray(this.bodyLeft);
        this.finish(body, onAnswer);
        continue;
      }
      if (this.bodyLeft === -2) {
        if (!this.readChunks()) return;
        this.finish(Buffer.concat(this.chunks), onAnswer);
        continue;
      }
      return; // until-close: the whole rest is the body, delivered by `ended`
    }
  }

  /** The connection ended: an until-close body is complete; true if one was delivered. */
  ended(onAnswer: (a: PipelineAnswer, close: boolean) => void): boolean {
    if (this.bodyLeft !== -3) return false;
    this.finish(this.buf, onAnswer);
    return true;
  }

  private finish(body: Buffer, onAnswer: (a: PipelineAnswer, close: boolean) => void): void {
    const close = this.closeAfter;
    this.bodyLeft = -1;
    this.chunks = [];
    this.chunkLeft = -1;
    this.closeAfter = false;
    onAnswer({ status: this.status, body: Buffer.from(body) }, close);
  }

  private readHead(head: string): void {
    const { start, fields } = parseHttp1Head(head);
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(start);
    if (!m) throw new Error(`malformed peer answer: ${JSON.stringify(start.slice(0, 80))}`);
    this.status = Number(m[2]);
    const listHas = (name: string, token: string): boolean | undefined => fields.get(name)?.toLowerCase().split(',').some((v) => v.trim() === token);
    const length = fields.has('content-length') ? Number(fields.get('content-length')) : -1;
    const chunked = listHas('transfer-encoding', 'chunked') ?? false;
    const close = listHas('connection', 'close') ?? m[1] === '0';
    this.closeAfter = close;
    const noBody = this.status === 204 || this.status === 304 || (this.status >= 100 && this.status < 200);
    if (noBody) this.bodyLeft = 0;
    else if (chunked) this.bodyLeft = -2;
    else if (length >= 0 && Number.isSafeInteger(length)) this.bodyLeft = length;
    else {
      this.bodyLeft = -3;
      this.closeAfter = true;
    }
  }

  /** Reads chunks from `buf`; true once the last chunk and the trailers are in. */
  private readChunks(): boolean {
    for (;;) {
      if (this.chunkLeft < 0) {
        const eol = this.buf.indexOf('\r\n');
        if (eol < 0) return false;
        const size = parseInt(this.buf.toString('latin1', 0, eol).split(';')[0]!.trim(), 16);
        if (!Number.isSafeInteger(size) || size < 0) throw new Error('malformed chunk in peer answer');
        if (size === 0) {
          // The last chunk; trailers (usually none) end with an empty line.
          const rest = this.buf.subarray(eol + 2);
          if (rest.length < 2) return false;
          if (rest[0] === 0x0d && rest[1] === 0x0a) {
            this.buf = rest.subarray(2);
            return true;
          }
          const end = rest.indexOf(HEAD_END);
          if (end < 0) return false;
          this.buf = rest.subarray(end + 4);
          return true;
        }
        this.chunkLeft = size;
        this.buf = this.buf.subarray(eol + 2);
      }
      if (this.buf.length < this.chunkLeft + 2) return false;
      this.chunks.push(this.buf.subarray(0, this.chunkLeft));
      this.buf = this.buf.subarray(this.chunkLeft + 2);
      this.chunkLeft = -1;
    }
  }
}

/** One connection: requests written in order, answers matched to them in order. */
class PipelinedConnection {
  /** Written and not yet answered, oldest first. */
  readonly inFlight: Pending[] = [];
  /** No new requests: closing, closed, or the server announced a close. */
  draining = false;
  private readonly socket: net.Socket;
  private readonly reader = new ResponseReader();
  private readonly timer: NodeJS.Timeout;
  private corked = false;
  private lastUseMs = Date.now();

  constructor(
    url: URL,
    tlsOpts: PeerClientTls | undefined,
    private readonly timeoutMs: number,
    private readonly onClosed: (conn: PipelinedConnection, unanswered: Pending[], err: Error) => void,
    private readonly onAnswered: () => void,
    upgradeWire: Buffer | undefined,
    private readonly onUpgradeRefused: () => void,
  ) {
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    this.socket =
      url.protocol === 'https:'
        ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...(tlsOpts ?? {}), minVersion: 'TLSv1.2' })
        : net.connect({ host, port });
    this.socket.setNoDelay(true);
    // Forwarding must never keep a stopping member's process alive.
    this.socket.unref();
    let failure: Error = new Error(`connection to ${url.origin} closed`);
    this.socket.on('data', (data: Buffer) => {
      try {
        this.reader.feed(data, (a, close) => this.answer(a, close));
      } catch (err) {
        this.socket.destroy(err instanceof Error ? err : new Error(String(err)));
      }
    });
    this.socket.on('end', () => {
      this.reader.ended((a, close) => this.answer(a, close));
      this.socket.end();
    });
    this.socket.on('error', (err) => (failure = err));
    this.socket.on('close', () => {
      clearInterval(this.timer);
      this.draining = true;
      this.onClosed(this, this.inFlight.splice(0), failure);
    });
    this.timer = setInterval(() => this.check(), CHECK_INTERVAL_MS);
    this.timer.unref();
    // Requests wait for the upgrade's answer: a server that does not upgrade may also stop
    // reading pipelined requests behind an Upgrade header (node's does), so on any answer
    // but 101 this connection closes and its requests go again on one that does not ask.
    if (upgradeWire) {
      this.socket.write(upgradeWire);
      this.held = [];
      this.inFlight.push({
        wire: upgradeWire,
        resolve: (a) => (a.status === 101 ? this.upgraded() : this.refused()),
        reject: () => undefined,
        sentAtMs: Date.now(),
        resent: true,
      });
    }
  }

  /** Requests written while the upgrade is unanswered (undefined once answered or without one). */
  private held: Buffer[] | undefined;

  private upgraded(): void {
    const held = this.held ?? [];
    this.held = undefined;
    if (held.length > 0) this.socket.write(held.length === 1 ? held[0]! : Buffer.concat(held));
  }

  private refused(): void {
    this.held = undefined;
    this.onUpgradeRefused();
    this.close();
  }

  send(p: Pending): void {
    p.sentAtMs = Date.now();
    this.lastUseMs = p.sentAtMs;
    this.inFlight.push(p);
    if (this.held) {
      this.held.push(p.wire);
      return;
    }
    if (!this.corked) {
      // Uncorked after this turn of the event loop's poll phase, not this tick: keep-alives
      // arrive in many gRPC stream callbacks of one poll, and all of them share one write.
      this.corked = true;
      this.socket.cork();
      setImmediate(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(p.wire);
  }

  close(): void {
    this.draining = true;
    this.socket.destroy();
  }

  private answer(a: PipelineAnswer, close: boolean): void {
    const p = this.inFlight.shift();
    if (!p) {
      this.socket.destroy(new Error('unexpected answer from peer'));
      return;
    }
    this.lastUseMs = Date.now();
    p.resolve(a);
    if (close) {
      // Anything written after this request will not be answered: resent by onClosed.
      this.draining = true;
      this.socket.end();
    }
    this.onAnswered();
  }

  private check(): void {
    const now = Date.now();
    const oldest = this.inFlight[0];
    if (oldest && now - oldest.sentAtMs > this.timeoutMs) {
      // The answer is overdue; the ones behind it wait on it, so they fail together.
      const overdue = this.inFlight.splice(0);
      for (const p of overdue) p.reject(new Error('peer request timed out'));
      this.close();
      return;
    }
    if (!oldest && now - this.lastUseMs > IDLE_CLOSE_MS) {
      this.draining = true;
      this.socket.end();
    }
  }
}

/** Pipelined POSTs to one peer URL (scheme://host:port); paths vary per request. */
export class PeerPipeline {
  private readonly conns: PipelinedConnection[] = [];
  private readonly waiting: Pending[] = [];
  private readonly hostHeader: string;
  /** Asked for on each new connection until a server refuses it once. */
  private upgradeWire: Buffer | undefined;
  /** Requests in flight per connection: pipelined while upgrades are asked for, else one. */
  private depthMax: number;
  private connectionsMax: number;
  /** A peer URL with a path prefix keeps it in front of the request path. */
  private readonly basePath: string;

  constructor(
    private readonly url: URL,
    private readonly tlsOpts: PeerClientTls | undefined,
    private readonly timeoutMs: number,
    upgrade?: PipelineUpgrade,
  ) {
    this.hostHeader = url.host;
    this.upgradeWire = upgrade
      ? Buffer.from(`GET ${url.pathname.replace(/\/$/, '')}${upgrade.path} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: etcd-ts\r\nConnection: Upgrade\r\nUpgrade: ${upgrade.protocol}\r\n\r\n`, 'latin1')
      : undefined;
    this.basePath = url.pathname.replace(/\/$/, '');
    this.depthMax = upgrade ? PIPELINE_DEPTH_MAX : 1;
    this.connectionsMax = upgrade ? PIPELINE_CONNECTIONS_MAX : PLAIN_CONNECTIONS_MAX;
  }

  /** POSTs `body` to `path` with `contentType`; resolves with the answer's status and bytes. */
  post(path: string, contentType: string, body: Uint8Array): Promise<PipelineAnswer> {
    const head = `POST ${this.basePath}${path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nUser-Agent: etcd-ts\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`;
    const wire = Buffer.concat([Buffer.from(head, 'latin1'), body]);
    return new Promise((resolve, reject) => {
      const p: Pending = { wire, resolve, reject, sentAtMs: 0, resent: false };
      if (this.waiting.length >= PIPELINE_QUEUE_MAX) {
        reject(new Error('too many peer requests waiting'));
        return;
      }
      this.dispatch(p);
    });
  }

  /** Ends every connection; their unanswered requests fail. */
  close(): void {
    for (const p of this.waiting.splice(0)) p.reject(new Error('peer pipeline closed'));
    for (const c of this.conns.splice(0)) c.close();
  }

  private dispatch(p: Pending): void {
    const conn = this.pick();
    if (conn) conn.send(p);
    else this.waiting.push(p);
  }

  /** The open connection with the fewest requests in flight, opening one when that helps; none when all are full. */
  private pick(): PipelinedConnection | undefined {
    let best: PipelinedConnection | undefined;
    let live = 0;
    for (const c of this.conns) {
      if (c.draining) continue;
      live++;
      if (c.inFlight.length >= this.depthMax) continue;
      if (!best || c.inFlight.length < best.inFlight.length) best = c;
    }
    if ((!best || best.inFlight.length > 0) && live < this.connectionsMax) {
      const fresh = new PipelinedConnection(
        this.url,
        this.tlsOpts,
        this.timeoutMs,
        (c, unanswered, err) => this.closed(c, unanswered, err),
        () => this.drainWaiting(),
        this.upgradeWire,
        () => this.upgradeRefused(),
      );
      this.conns.push(fresh);
      return fresh;
    }
    return best;
  }

  /** The peer does not take the upgrade (an etcd member): plain connections from now on. */
  private upgradeRefused(): void {
    this.upgradeWire = undefined;
    this.depthMax = 1;
    this.connectionsMax = PLAIN_CONNECTIONS_MAX;
  }

  private closed(conn: PipelinedConnection, unanswered: Pending[], err: Error): void {
    const i = this.conns.indexOf(conn);
    if (i >= 0) this.conns.splice(i, 1);
    for (const p of unanswered) {
      if (p.resent) p.reject(err);
      else {
        p.resent = true;
        this.dispatch(p);
      }
    }
    this.drainWaiting();
  }

  /** Requests that were waiting for a slot take the room an answer or a closed connection left. */
  private drainWaiting(): void {
    while (this.waiting.length > 0) {
      const c = this.pick();
      if (!c) break;
      c.send(this.waiting.shift()!);
    }
  }
}
