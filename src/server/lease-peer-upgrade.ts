// The leader's cheap path for keep-alives forwarded by etcd-ts followers. Node's http
// server spends more CPU per request (request/response objects, streams, one write per
// answer) than renewing the lease, and a follower forwards every client keep-alive. So an
// etcd-ts follower opens each forwarding connection with
//     GET /leases HTTP/1.1 / Connection: Upgrade / Upgrade: etcd-ts-lease-pipeline/1
// and an etcd-ts leader answers 101 and from then on reads that connection itself: the
// same pipelined `POST /leases` and `POST /leases/internal` HTTP/1.1 requests, answered in
// order with the same HTTP/1.1 answers, all answers of one read in one write.
//
// Nothing changes for real etcd: an etcd leader answers the GET with 405 (its /leases
// handler takes POST only) and the follower carries on with plain pipelined POSTs on that
// connection; an etcd follower never asks for the upgrade, and its POSTs reach the
// ordinary handler in lease-forwarding.ts.

import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { LeaseServer } from './lease-server.js';
import { parseHttp1Head } from './http1-head.js';
import { answerLeasePeerRequest, LEASE_INTERNAL_PATH, LEASE_KEEPALIVE_PATH, LEASE_PIPELINE_PROTOCOL, type PeerAnswer } from './lease-forwarding.js';
/** A request head larger than this ends the connection (ours are about 120 bytes). */
const REQUEST_HEAD_BYTES_MAX = 8 * 1024;
/** A request body larger than this ends the connection (peer lease requests are tiny). */
const REQUEST_BODY_BYTES_MAX = 64 * 1024;
/** Answers owed on one connection before it stops reading until they are written. */
const ANSWERS_PENDING_MAX = 4096;

const HEAD_END = Buffer.from('\r\n\r\n');
const REASONS: Record<number, string> = { 200: 'OK', 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed' };

function encodeAnswer(a: PeerAnswer): Buffer[] {
  const head = `HTTP/1.1 ${a.status} ${REASONS[a.status] ?? 'Unknown'}\r\nContent-Type: ${a.contentType}\r\nContent-Length: ${a.body.length}\r\n\r\n`;
  return [Buffer.from(head, 'latin1'), a.body];
}

const plain = (status: number, message: string): PeerAnswer => ({ status, body: Buffer.from(`${message}\n`), contentType: 'text/plain; charset=utf-8' });

/** Serves one upgraded connection: parses pipelined requests and answers them in order. */
class UpgradedLeaseConnection {
  private buf: Buffer = Buffer.alloc(0);
  /** Answers in request order; `parts` is unset while the answer's promise is pending. */
  private readonly owed: { parts?: Buffer[] }[] = [];
  private paused = false;

  constructor(
    private readonly leases: LeaseServer,
    private readonly socket: Duplex,
  ) {}

  feed(data: Buffer): void {
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    try {
      for (;;) {
        const end = this.buf.indexOf(HEAD_END);
        if (end < 0) {
          if (this.buf.length > REQUEST_HEAD_BYTES_MAX) throw new Error('request head too large');
          break;
        }
        const { method, path, length } = parseHead(this.buf.toString('latin1', 0, end));
        if (length > REQUEST_BODY_BYTES_MAX) throw new Error('request body too large');
        if (this.buf.length < end + 4 + length) break;
        const body = this.buf.subarray(end + 4, end + 4 + length);
        this.buf = this.buf.subarray(end + 4 + length);
        this.answer(method, path, body);
      }
    } catch {
      this.socket.destroy();
      return;
    }
    this.flush();
  }

  private answer(method: string, path: string, body: Buffer): void {
    let a: PeerAnswer | Promise<PeerAnswer>;
    if (path !== LEASE_KEEPALIVE_PATH && path !== LEASE_INTERNAL_PATH) a = plain(404, '404 page not found');
    else if (method !== 'POST') a = plain(405, 'Method Not Allowed');
    else a = answerLeasePeerRequest(this.leases, path, body);
    if ('status' in a) {
      this.owed.push({ parts: encodeAnswer(a) });
      return;
    }
    const slot: { parts?: Buffer[] } = {};
    this.owed.push(slot);
    void a.then((answer) => {
      slot.parts = encodeAnswer(answer);
      this.flush();
    });
    if (this.owed.length >= ANSWERS_PENDING_MAX && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  /** Writes every answer ready at the front of the queue, in one write. */
  private flush(): void {
    let n = 0;
    while (n < this.owed.length && this.owed[n]!.parts) n++;
    if (n === 0) return;
    const parts: Buffer[] = [];
    for (const a of this.owed.splice(0, n)) parts.push(...a.parts!);
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(parts));
    if (this.paused && this.owed.length < ANSWERS_PENDING_MAX / 2) {
      this.paused = false;
      this.socket.resume();
    }
  }
}

function parseHead(head: string): { method: string; path: string; length: number } {
  const { start, fields } = parseHttp1Head(head);
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(start);
  if (!m) throw new Error('malformed request line');
  // Our follower never sends a chunked body; anything else is not ours to guess at.
  if (fields.has('transfer-encoding')) throw new Error('chunked request on the lease pipeline');
  const length = fields.has('content-length') ? Number(fields.get('content-length')) : 0;
  if (!Number.isSafeInteger(length) || length < 0) throw new Error('bad Content-Length');
  return { method: m[1]!, path: m[2]!.split('?')[0]!, length };
}

/**
 * An 'upgrade' listener for the peer http server: takes over `GET /leases` connections
 * that ask for the lease pipeline; any other upgrade request is refused (no etcd peer
 * sends one).
 */
export function leaseUpgradeListener(leases: LeaseServer | undefined): (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    const path = (req.url ?? '/').split('?')[0];
    const wanted = (req.headers.upgrade ?? '').split(',').map((p) => p.trim().toLowerCase());
    if (!leases || path !== LEASE_KEEPALIVE_PATH || req.method !== 'GET' || !wanted.includes(LEASE_PIPELINE_PROTOCOL)) {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: 16\r\n\r\n400 Bad Request\n');
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${LEASE_PIPELINE_PROTOCOL}\r\n\r\n`);
    if ('setNoDelay' in socket && typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
    const conn = new UpgradedLeaseConnection(leases, socket);
    socket.on('data', (d: Buffer) => conn.feed(d));
    socket.on('error', () => socket.destroy());
    // The peer server's sockets are half-open capable: finish ours when the follower ends
    // (it closes idle forwarding connections), and never keep a stopping member alive.
    socket.on('end', () => socket.end());
    if ('unref' in socket && typeof socket.unref === 'function') socket.unref();
    if (head.length > 0) conn.feed(head);
  };
}
