// The follower's side of a snapshot transfer: reads the raft message, streams the
// leader's backend into the snap dir (as <index %016x>.snap.db, written under a
// temporary name, fsynced, renamed, directory fsynced), and only then steps the message
// into raft, so raft never holds a snapshot whose db is not safely on disk. 204 tells
// the leader it went through.

import type http from 'node:http';
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MessageType, type Message } from '../raft/types.js';
import { snapDbFsyncSeconds, snapDbSaveSeconds } from '../metrics/registry.js';
import { SnapshotBodyError, SnapshotBodyParser, snapshotDbFileName } from './snapshot-framing.js';
import { peerReceivedBytes, snapshotReceiveFailures, snapshotReceiveInflights, snapshotReceiveSeconds, snapshotReceiveSuccess, UNKNOWN_SNAPSHOT_SENDER } from './peer-metrics.js';

export interface SnapshotReceiverDeps {
  snapDir: string;
  receive(m: Message): void;
  log: { info(msg: string, f?: Record<string, unknown>): void; warn(msg: string, f?: Record<string, unknown>): void };
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function receiveSnapshot(req: http.IncomingMessage, res: http.ServerResponse, deps: SnapshotReceiverDeps): Promise<void> {
  const parser = new SnapshotBodyParser();
  let message: Message | undefined;
  let tmp: string | undefined;
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  let written = 0;
  // The sender is known once the body's message is read; bytes before it wait to be counted.
  let from = UNKNOWN_SNAPSHOT_SENDER;
  let uncounted = 0;
  const started = Date.now();
  let inflight = false;
  try {
    for await (const chunk of req) {
      uncounted += (chunk as Buffer).length;
      for (const piece of parser.push(chunk as Buffer)) {
        if (piece.kind === 'message') {
          message = piece.message;
          from = message.from.toString(16);
          snapshotReceiveInflights.inc({ From: from });
          inflight = true;
          const snap = message.snapshot;
          if (message.type !== MessageType.Snap || !snap) throw new SnapshotBodyError('not a snapshot message');
          deps.log.info('receiving database snapshot', { 'remote-peer-id': message.from.toString(16), 'incoming-snapshot-index': snap.metadata.index, 'incoming-snapshot-term': snap.metadata.term, bytes: piece.dbSize });
          tmp = join(deps.snapDir, `${snapshotDbFileName(snap.metadata.index)}.part-${randomBytes(4).toString('hex')}`);
          fh = await open(tmp, 'w', 0o600);
        } else {
          let off = 0;
          while (off < piece.bytes.length) off += (await fh!.write(piece.bytes, off, piece.bytes.length - off, written + off)).bytesWritten;
          written += piece.bytes.length;
        }
      }
      if (from !== UNKNOWN_SNAPSHOT_SENDER) {
        peerReceivedBytes.of(from).n += uncounted;
        uncounted = 0;
      }
    }
    parser.end();
    const fsyncBegan = performance.now();
    await fh!.sync();
    snapDbFsyncSeconds.observe((performance.now() - fsyncBegan) / 1000);
    await fh!.close();
    fh = undefined;
    const final = join(deps.snapDir, snapshotDbFileName(message!.snapshot!.metadata.index));
    await rename(tmp!, final);
    tmp = undefined;
    await fsyncDir(deps.snapDir);
    snapDbSaveSeconds.observe((Date.now() - started) / 1000);
    deps.log.info('received and saved database snapshot', { 'remote-peer-id': message!.from.toString(16), 'incoming-snapshot-index': message!.snapshot!.metadata.index, 'snapshot-path': final, bytes: written });
    deps.receive(message!);
    snapshotReceiveSuccess.inc({ From: from });
    snapshotReceiveSeconds.observe({ From: from }, (Date.now() - started) / 1000);
    res.writeHead(204);
    res.end();
  } catch (err) {
    snapshotReceiveFailures.inc({ From: from });
    deps.log.warn('failed to receive database snapshot', { error: (err as Error).message });
    if (!res.headersSent) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${(err as Error).message}\n`);
    } else res.destroy();
  } finally {
    if (inflight) snapshotReceiveInflights.dec({ From: from });
    await fh?.close().catch(() => undefined);
    if (tmp) await rm(tmp, { force: true });
  }
}
