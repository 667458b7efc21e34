// The Snapshot rpc's byte stream: a consistent copy of the member's backend, cut into
// fixed-size pieces, each with the bytes still to come, and then one more piece holding
// the SHA-256 of everything sent. etcdctl appends that digest to the file it saves, and
// restore checks it, so a snapshot damaged on its way to disk is refused.

import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { backendSnapshotSeconds } from '../metrics/registry.js';

/** etcd sends the backend in 32 KiB pieces. */
export const SNAPSHOT_CHUNK_BYTES = 32 * 1024;
/** The digest that ends the stream and trails a saved snapshot file. */
export const SNAPSHOT_SHA256_BYTES = 32;

/** A consistent copy of the backend, opened for reading; the copy goes when the stream closes. */
export interface BackendCopy {
  stream: Readable;
  size: number;
}

export interface SnapshotPiece {
  /** Bytes of the backend still to come after this piece (0 on the last data piece and the digest). */
  remainingBytes: number;
  blob: Buffer;
}

/**
 * The pieces of one snapshot, ending with the digest. The consumer pulls at its own pace
 * (the stream is read only as pieces are asked for). Breaking out of the loop early
 * closes the copy. A copy that ends short of its size throws: a truncated snapshot with
 * a valid digest of the truncated bytes must never look whole.
 */
export async function* snapshotPieces(copy: BackendCopy, pieceBytes = SNAPSHOT_CHUNK_BYTES): AsyncGenerator<SnapshotPiece> {
  // Timed from the consistent copy being ready until the stream is done with it, sent
  // whole or not, as etcd times its backend snapshots.
  const timed = backendSnapshotSeconds.startTimer();
  const digest = createHash('sha256');
  let sent = 0;
  let held: Buffer[] = [];
  let heldBytes = 0;
  const emit = (n: number): SnapshotPiece => {
    const all = held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
    const blob = all.subarray(0, n);
    const rest = all.subarray(n);
    held = rest.length > 0 ? [rest] : [];
    heldBytes = rest.length;
    sent += blob.length;
    digest.update(blob);
    return { remainingBytes: copy.size - sent, blob };
  };
  try {
    for await (const chunk of copy.stream) {
      const b = chunk as Buffer;
      held.push(b);
      heldBytes += b.length;
      while (heldBytes >= pieceBytes) yield emit(pieceBytes);
    }
    if (heldBytes > 0) yield emit(heldBytes);
    if (sent !== copy.size) throw new Error(`snapshot: backend copy ended after ${sent} of ${copy.size} bytes`);
    yield { remainingBytes: 0, blob: digest.digest() };
  } finally {
    copy.stream.destroy();
    timed();
  }
}
