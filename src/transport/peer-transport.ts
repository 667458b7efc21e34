// Raft messages between members over the peer URLs. Each member keeps one long-lived
// HTTP/1.1 POST per remote peer (path RAFT_STREAM_PATH) whose chunked body is a sequence of
// framed messages (message-codec.ts). Messages are one-way: a reply travels on the
// receiver's own stream back. A failed or refused stream is redialled (STREAM_REDIAL_MS) and
// its peer reported unreachable so raft slows probing; messages sent while a stream is down
// are dropped, which raft tolerates (it retransmits). The receiving side refuses a stream whose
// cluster id differs with etcd's words, and tells a removed member it was removed.

import http from 'node:http';
import type { Message, NodeId } from '../raft/types.js';
import { MessageType } from '../raft/types.js';
import { Backoff } from './backoff.js';
import { PROBING_PATH, httpProbe, probePeer, serveProbing, type PeerProber, type PeerWarn, type SendProbe } from './peer-prober.js';
import { requestPeer, type PeerClientTls } from './peer-http.js';
import { frameMessage, FrameReader } from './message-codec.js';
import { RAFT_SNAPSHOT_PATH } from './snapshot-framing.js';
import type { SnapshotSender } from './snapshot-sender.js';
import { receiveSnapshot, type SnapshotReceiverDeps } from './snapshot-receiver.js';
import { peerActivated, peerDeactivated, peerReceivedBytes, peerReceivedFailures, peerSentBytes, peerSentFailures, type ByteCount } from './peer-metrics.js';

/**
 * Snapshot transfers (snapshot-sender.ts, snapshot-receiver.ts): MsgSnap goes out with a
 * copy of the backend on a request of its own; received ones are saved before raft sees them.
 */
export interface TransportSnapshots {
  sender: SnapshotSender;
  receiver: Omit<SnapshotReceiverDeps, 'receive'>;
}

export const RAFT_STREAM_PATH = '/raft/stream';

/**
 * Pause before redialling a failed or refused stream. etcd redials a peer's stream about
 * every 100 ms for as long as it is down, and raft relies on that: while the stream is
 * down, heartbeats, probes and forwarded proposals to the peer are dropped, so a member
 * that restarts (or whose peer port starts answering, or a partition that heals) is cut
 * off until the next dial. A growing backoff made that seconds — with the defaults, up
 * to 5 s after the peer was back, during which it could neither learn the leader nor
 * publish itself and serve clients.
 */
export const STREAM_REDIAL_MS = 100;
export const ERR_CLUSTER_ID_MISMATCH = 'request cluster ID mismatch';
export const ERR_MEMBER_REMOVED = 'the member has been permanently removed from the cluster';

export interface TransportHooks {
  /** Delivers a message received from a peer to the local raft node. */
  receive(m: Message): void;
  reportUnreachable(id: NodeId): void;
  reportSnapshot(id: NodeId, ok: boolean): void;
  /** True when `id` was removed from the cluster: its streams are refused. */
  isRemoved(id: NodeId): boolean;
  /** Called when a peer refused us because we were removed. */
  onRemovedByPeer?(): void;
  /** Where the prober's warnings about peers go (peer-prober.ts); none without it. */
  warn?: PeerWarn;
}

class PeerStream {
  private req: http.ClientRequest | undefined;
  private connected = false;
  /** When the current stream came up (ms since epoch); undefined while down. */
  connectedAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly backoff = new Backoff(STREAM_REDIAL_MS, STREAM_REDIAL_MS);
  /** The member ids as etcd's metrics label them (hex). */
  private readonly localHex: string;
  readonly idHex: string;
  /** Bytes written on this peer's streams, for etcd_network_peer_sent_bytes_total. */
  private readonly sentBytes: ByteCount;

  constructor(
    private readonly owner: PeerTransport,
    readonly id: NodeId,
    private urls: string[],
  ) {
    this.localHex = owner.localId.toString(16);
    this.idHex = id.toString(16);
    this.sentBytes = peerSentBytes.of(this.idHex);
    this.connect();
  }

  setUrls(urls: string[]): void {
    this.urls = urls;
  }

  get peerUrls(): string[] {
    return this.urls;
  }

  send(m: Message): boolean {
    if (!this.req || !this.connected) return false;
    const frame = frameMessage(m);
    this.sentBytes.n += frame.length;
    this.req.write(frame);
    return true;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.connected) peerDeactivated(this.localHex, this.idHex, false);
    this.connected = false;
    this.req?.destroy();
  }

  private connect(): void {
    if (this.stopped || this.urls.length === 0) return;
    const url = new URL(RAFT_STREAM_PATH, this.urls[0]);
    const req = requestPeer(url, { method: 'POST', headers: this.owner.headers() }, this.owner.tls);
    this.req = req;
    // Events of an earlier, already replaced request must not tear down this one.
    const failThis = (): void => {
      if (this.req === req) this.fail();
    };
    // The receiver answers 200 at once and keeps the response open while it reads; an early
    // non-200 answer is a refusal.
    req.on('response', (res) => {
      if (res.statusCode === 200) {
        this.connected = true;
        peerActivated(this.localHex, this.idHex);
        this.connectedAt = Date.now();
        this.backoff.reset();
        res.resume();
        // A peer that dies mid-stream may end, reset or just close the response; any of
        // them means the stream is gone and must be re-dialled.
        res.on('end', () => failThis());
        res.on('close', () => failThis());
        res.on('error', () => failThis());
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if (body.includes(ERR_MEMBER_REMOVED)) this.owner.removedByPeer();
        failThis();
      });
    });
    req.on('error', failThis);
    req.on('close', failThis);
    req.flushHeaders();
  }

  private fail(): void {
    if (this.req === undefined) return;
    this.req.destroy();
    this.req = undefined;
    if (this.connected) peerDeactivated(this.localHex, this.idHex, true);
    this.connected = false;
    this.connectedAt = undefined;
    if (this.stopped) return;
    this.owner.hooks.reportUnreachable(this.id);
    this.timer = setTimeout(() => this.connect(), this.backoff.nextDelay());
    this.timer.unref();
  }
}

export class PeerTransport {
  private readonly peers = new Map<bigint, PeerStream>();
  /** Streams peers opened to us, by the sending member's id. */
  private readonly inbound = new Map<http.ServerResponse, NodeId>();
  /** Each peer's two probers (peer-prober.ts), with the URLs they probe. */
  private readonly probers = new Map<bigint, { urls: string; probers: PeerProber[] }>();
  private readonly sendProbe: SendProbe;

  constructor(
    readonly localId: NodeId,
    readonly clusterId: bigint,
    readonly hooks: TransportHooks,
    /** Client side of peer TLS, for https:// peer URLs. */
    readonly tls?: PeerClientTls,
    /** Without it a MsgSnap goes on the stream like any message (tests with no backend). */
    private readonly snapshots?: TransportSnapshots,
  ) {
    this.sendProbe = httpProbe(tls);
  }

  headers(): Record<string, string> {
    return {
      'content-type': 'application/octet-stream',
      'x-etcd-cluster-id': this.clusterId.toString(16),
      'x-server-from': this.localId.toString(16),
    };
  }

  addPeer(id: NodeId, urls: string[]): void {
    const existing = this.peers.get(id);
    if (existing) existing.setUrls(urls);
    else this.peers.set(id, new PeerStream(this, id, urls));
    this.probe(id, urls);
  }

  /** (Re)starts probing `id`; new URLs start afresh, as etcd re-adds an updated peer to its probers. */
  private probe(id: NodeId, urls: string[]): void {
    const key = urls.join(',');
    const current = this.probers.get(id);
    if (current?.urls === key) return;
    for (const p of current?.probers ?? []) p.stop();
    this.probers.set(id, { urls: key, probers: probePeer(id.toString(16), urls, { send: this.sendProbe, warn: this.hooks.warn }) });
  }

  private stopProbing(id: NodeId): void {
    for (const p of this.probers.get(id)?.probers ?? []) p.stop();
    this.probers.delete(id);
  }

  /** When the stream to `id` came up; undefined while it is down (etcd's ActiveSince). */
  activeSince(id: NodeId): number | undefined {
    return this.peers.get(id)?.connectedAt;
  }

  peerIds(): NodeId[] {
    return [...this.peers.keys()];
  }

  removePeer(id: NodeId): void {
    this.peers.get(id)?.stop();
    this.peers.delete(id);
    this.stopProbing(id);
    // Its incoming streams go too: when it dials again it is told it was removed, which is
    // how a removed member that never saw its own removal committed finds out.
    for (const [res, from] of this.inbound) {
      if (from === id) res.destroy();
    }
  }

  /** The raft loop's `send` hook. */
  send(messages: Message[]): void {
    for (const m of messages) {
      const peer = this.peers.get(m.to);
      if (m.type === MessageType.Snap && this.snapshots && peer) {
        this.snapshots.sender.send(m, peer.peerUrls);
        continue;
      }
      const ok = peer?.send(m) ?? false;
      if (m.type === MessageType.Snap) this.hooks.reportSnapshot(m.to, ok);
      if (!ok) {
        // Dropped with the stream down; a message to a member we do not know is no peer's failure.
        if (peer) peerSentFailures.inc({ To: peer.idHex });
        this.hooks.reportUnreachable(m.to);
      }
    }
  }

  removedByPeer(): void {
    this.hooks.onRemovedByPeer?.();
  }

  /** Handles a request on the peer server; returns false when it is not a raft stream, snapshot or probe. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    // Probes carry no cluster id and are answered to anyone, whatever the method.
    if (req.url !== undefined && req.url.split('?')[0] === PROBING_PATH) {
      serveProbing(res);
      return true;
    }
    const snapshot = req.url === RAFT_SNAPSHOT_PATH && req.method === 'POST' && this.snapshots !== undefined;
    if (!snapshot && (req.url !== RAFT_STREAM_PATH || req.method !== 'POST')) return false;
    const cid = String(req.headers['x-etcd-cluster-id'] ?? '');
    if (cid !== this.clusterId.toString(16)) {
      res.writeHead(412, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${ERR_CLUSTER_ID_MISMATCH}\n`);
      return true;
    }
    const from = BigInt('0x' + String(req.headers['x-server-from'] ?? '0'));
    if (this.hooks.isRemoved(from)) {
      res.writeHead(410, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${ERR_MEMBER_REMOVED}\n`);
      return true;
    }
    if (snapshot) {
      void receiveSnapshot(req, res, { ...this.snapshots!.receiver, receive: (m) => this.hooks.receive(m) });
      return true;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.flushHeaders();
    this.inbound.set(res, from);
    const reader = new FrameReader();
    const fromHex = from.toString(16);
    const received = peerReceivedBytes.of(fromHex);
    req.on('data', (chunk: Buffer) => {
      received.n += chunk.length;
      try {
        for (const m of reader.push(chunk)) this.hooks.receive(m);
      } catch {
        peerReceivedFailures.inc({ From: fromHex });
        req.destroy();
      }
    });
    const close = (): void => {
      this.inbound.delete(res);
      res.end();
    };
    req.on('end', close);
    req.on('close', close);
    return true;
  }

  stop(): void {
    this.snapshots?.sender.stop();
    for (const p of this.peers.values()) p.stop();
    this.peers.clear();
    for (const id of [...this.probers.keys()]) this.stopProbing(id);
    for (const res of this.inbound.keys()) res.destroy();
    this.inbound.clear();
  }
}
