// The leader's side of a snapshot transfer: when raft emits MsgSnap for a follower, a
// copy of the backend is taken and streamed to the follower's peer URL in its own
// request (POST /raft/snapshot, framing in snapshot-framing.ts), beside the normal
// message stream, which keeps flowing meanwhile. The outcome goes back to raft through
// reportSnapshot: ok once the follower has saved the db and stepped the message.

import type http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Message, NodeId } from '../raft/types.js';
import type { SnapshotCopy } from '../server/snapshot-source.js';
import { requestPeer, type PeerClientTls } from './peer-http.js';
import { RAFT_SNAPSHOT_PATH, SnapshotDigest, snapshotBodyHead } from './snapshot-framing.js';
import { peerSentBytes, peerSentFailures, snapshotSendFailures, snapshotSendInflights, snapshotSendSeconds, snapshotSendSuccess } from './peer-metrics.js';

/** A transfer that moves no byte for this long is given up (raft then probes and retries). */
export const SNAPSHOT_IDLE_TIMEOUT_MS = 30_000;

export interface SnapshotSenderDeps {
  copy(): Promise<SnapshotCopy>;
  headers(): Record<string, string>;
  tls?: PeerClientTls | undefined;
  reportSnapshot(id: NodeId, ok: boolean): void;
  reportUnreachable(id: NodeId): void;
  log: { info(msg: string, f?: Record<string, unknown>): void; warn(msg: string, f?: Record<string, unknown>): void };
}

export class SnapshotSender {
  /** Transfers under way, by follower; raft sends one snapshot at a time to each. */
  private readonly inFlight = new Map<NodeId, http.ClientRequest | undefined>();
  private stopped = false;

  constructor(private readonly deps: SnapshotSenderDeps) {}

  /** Starts sending `m` (a MsgSnap) to the first of `urls`; its outcome is reported to raft. */
  send(m: Message, urls: string[]): void {
    if (this.stopped) return;
    // The running transfer reports for both: raft does not wait on a second copy.
    if (this.inFlight.has(m.to)) return;
    this.inFlight.set(m.to, undefined);
    void this.transfer(m, urls).then(
      () => this.done(m.to, true),
      (err: Error) => {
        if (!this.stopped) this.deps.log.warn('failed to send database snapshot', { 'remote-peer-id': m.to.toString(16), error: err.message });
        this.done(m.to, false);
      },
    );
  }

  private done(id: NodeId, ok: boolean): void {
    this.inFlight.delete(id);
    if (this.stopped) return;
    if (!ok) this.deps.reportUnreachable(id);
    this.deps.reportSnapshot(id, ok);
  }

  private async transfer(m: Message, urls: string[]): Promise<void> {
    if (urls.length === 0) throw new Error('no peer URL');
    const copy = await this.deps.copy();
    const msg: Message = { ...m, snapshot: copy.snapshot };
    const { index, term } = copy.snapshot.metadata;
    const peer = m.to.toString(16);
    this.deps.log.info('sending database snapshot', { 'remote-peer-id': peer, 'snapshot-index': index, 'snapshot-term': term, bytes: copy.size });
    const started = Date.now();
    const sent = { bytes: 0 };
    snapshotSendInflights.inc({ To: peer });
    try {
      if (this.stopped) throw new Error('transport stopped');
      const url = new URL(RAFT_SNAPSHOT_PATH, urls[0]);
      const req = requestPeer(url, { method: 'POST', headers: this.deps.headers() }, this.deps.tls);
      this.inFlight.set(m.to, req);
      req.setTimeout(SNAPSHOT_IDLE_TIMEOUT_MS, () => req.destroy(new Error(`no progress for ${SNAPSHOT_IDLE_TIMEOUT_MS} ms`)));
      const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
        req.on('response', (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', reject);
        });
        req.on('error', reject);
      });
      // The receiver may refuse before the body is all sent; its answer is what counts.
      answered.catch(() => undefined);
      await pipeline(Readable.from(body(msg, copy, sent)), req);
      const { status, body: text } = await answered;
      if (status !== 204) throw new Error(`peer answered ${status}: ${text.trim()}`);
    } catch (err) {
      peerSentFailures.inc({ To: peer });
      snapshotSendFailures.inc({ To: peer });
      throw err;
    } finally {
      snapshotSendInflights.dec({ To: peer });
      copy.stream.destroy();
    }
    // As etcd, a snapshot's bytes count as sent once the follower has taken it.
    peerSentBytes.of(peer).n += sent.bytes;
    snapshotSendSuccess.inc({ To: peer });
    snapshotSendSeconds.observe({ To: peer }, (Date.now() - started) / 1000);
    this.deps.log.info('sent database snapshot', { 'remote-peer-id': peer, 'snapshot-index': index, bytes: copy.size, took: `${Date.now() - started}ms` });
  }

  stop(): void {
    this.stopped = true;
    for (const req of this.inFlight.values()) req?.destroy();
    this.inFlight.clear();
  }
}

/** The request body; `sent.bytes` counts what it yielded. */
async function* body(m: Message, copy: SnapshotCopy, sent: { bytes: number }): AsyncGenerator<Buffer> {
  const head = snapshotBodyHead(m, copy.size);
  sent.bytes += head.length;
  yield head;
  const digest = new SnapshotDigest();
  for await (const chunk of copy.stream) {
    const b = chunk as Buffer;
    digest.update(b);
    sent.bytes += b.length;
    yield b;
  }
  if (digest.size !== copy.size) throw new Error(`backend copy ended after ${digest.size} of ${copy.size} bytes`);
  const tail = digest.tail();
  sent.bytes += tail.length;
  yield tail;
}
