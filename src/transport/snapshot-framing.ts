// The body of a snapshot transfer (POST /raft/snapshot on the peer port): the raft
// snapshot message, then the leader's backend, then a digest of the backend. etcd sends
// the message and the db in one request as well; the framing here is our own (etcd-ts
// members only talk to etcd-ts members):
//
//   [4-byte length][message (message-codec)]   the MsgSnap, its metadata naming the db's index
//   [8-byte db size]                            bytes of the backend that follow
//   [db bytes]                                  streamed, never held whole in memory
//   [32-byte SHA-256 of the db bytes]           a damaged or truncated copy is refused
//
// Both sides here are pure: the sender's head/tail are built from values, and the
// receiver's parser turns arbitrary chunks into the message and db pieces.

import { createHash, type Hash } from 'node:crypto';
import type { Message } from '../raft/types.js';
import { decodeMessage, frameMessage } from './message-codec.js';

export const RAFT_SNAPSHOT_PATH = '/raft/snapshot';
export const SNAPSHOT_DIGEST_BYTES = 32;
/** A snapshot message carries metadata and the membership only; anything larger is not ours. */
export const MAX_SNAPSHOT_MESSAGE_BYTES = 64 * 1024 * 1024;
const DB_SUFFIX = '.snap.db';

/** etcd's name for a received backend in the snap dir: the snapshot index as %016x. */
export function snapshotDbFileName(index: number): string {
  return `${index.toString(16).padStart(16, '0')}${DB_SUFFIX}`;
}

/** The index a `.snap.db` name stands for, or undefined for any other file. */
export function parseSnapshotDbFileName(name: string): number | undefined {
  const m = /^([0-9a-f]{16})\.snap\.db$/.exec(name);
  return m ? parseInt(m[1]!, 16) : undefined;
}

/** Everything before the db bytes. */
export function snapshotBodyHead(m: Message, dbSize: number): Buffer {
  const frame = frameMessage(m);
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(BigInt(dbSize));
  return Buffer.concat([frame, size]);
}

/** Hashes the db bytes as they go out; tail() is what ends the body. */
export class SnapshotDigest {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;

  update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
  }

  get size(): number {
    return this.bytes;
  }

  tail(): Buffer {
    return this.hash.digest();
  }
}

export type SnapshotBodyPiece = { kind: 'message'; message: Message; dbSize: number } | { kind: 'db'; bytes: Buffer };

export class SnapshotBodyError extends Error {
  constructor(message: string) {
    super(`snapshot transfer: ${message}`);
    this.name = 'SnapshotBodyError';
  }
}

/**
 * Cuts a snapshot body arriving in arbitrary chunks into the message (once) and the db
 * bytes (as they come). end() checks the body was whole and the digest matches.
 */
export class SnapshotBodyParser {
  private state: 'head' | 'db' | 'digest' = 'head';
  private held = Buffer.alloc(0);
  private dbLeft = 0;
  private readonly digest = createHash('sha256');

  push(chunk: Buffer): SnapshotBodyPiece[] {
    const out: SnapshotBodyPiece[] = [];
    let buf = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = Buffer.alloc(0);
    if (this.state === 'head') {
      if (buf.length < 4) {
        this.held = Buffer.from(buf);
        return out;
      }
      const len = buf.readUInt32BE(0);
      if (len > MAX_SNAPSHOT_MESSAGE_BYTES) throw new SnapshotBodyError(`message of ${len} bytes is too large`);
      if (buf.length < 4 + len + 8) {
        this.held = Buffer.from(buf);
        return out;
      }
      const message = decodeMessage(buf.subarray(4, 4 + len));
      const dbSize = Number(buf.readBigUInt64BE(4 + len));
      out.push({ kind: 'message', message, dbSize });
      this.dbLeft = dbSize;
      this.state = 'db';
      buf = buf.subarray(4 + len + 8);
    }
    if (this.state === 'db' && buf.length > 0) {
      const n = Math.min(this.dbLeft, buf.length);
      if (n > 0) {
        const bytes = buf.subarray(0, n);
        this.digest.update(bytes);
        out.push({ kind: 'db', bytes });
        this.dbLeft -= n;
      }
      buf = buf.subarray(n);
    }
    if (this.state === 'db' && this.dbLeft === 0) this.state = 'digest';
    if (this.state === 'digest' && buf.length > 0) {
      this.held = Buffer.from(buf);
      if (this.held.length > SNAPSHOT_DIGEST_BYTES) throw new SnapshotBodyError('bytes after the digest');
    }
    return out;
  }

  /** Throws unless the whole body arrived and the db bytes match their digest. */
  end(): void {
    if (this.state === 'head') throw new SnapshotBodyError('body ended before the message');
    if (this.state === 'db' || this.held.length < SNAPSHOT_DIGEST_BYTES) throw new SnapshotBodyError(`body ended ${this.dbLeft} db bytes short`);
    if (!this.digest.digest().equals(this.held)) throw new SnapshotBodyError('db digest mismatch');
  }
}
