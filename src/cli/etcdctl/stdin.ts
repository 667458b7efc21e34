// Standard input as etcdctl reads it: all of it for `put <key>` (the value), or line by
// line for `txn`, so that with --interactive each prompt shows before the user types
// the section it asks for (a terminal gives one line per read). Lines are byte strings:
// Go reads bytes, so a key typed in Latin-1 is stored as typed.

import { readFileSync, readSync } from 'node:fs';
import { LineSplitter } from './line-splitter.js';

/** Bytes asked of the kernel per read. */
const READ_CHUNK_BYTES = 64 * 1024;
/** A line longer than this is refused rather than buffered without end. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export interface Stdin {
  all(): Buffer;
  lines(): Iterator<string>;
}

function readChunk(fd: number, buf: Buffer): number {
  for (;;) {
    try {
      return readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue; // a non-blocking descriptor with nothing yet
      if (code === 'EOF') return 0;
      throw e;
    }
  }
}

/**
 * Lines keeping their "\n"; a last line without "\n" is not returned, as Go's
 * ReadString('\n') reports EOF for it.
 */
export function* fdLines(fd: number): Generator<string> {
  const buf = Buffer.alloc(READ_CHUNK_BYTES);
  const splitter = new LineSplitter();
  for (;;) {
    const n = readChunk(fd, buf);
    if (n === 0) return;
    yield* splitter.push(buf.subarray(0, n));
    if (splitter.pendingBytes > MAX_LINE_BYTES) throw new Error(`input line longer than ${MAX_LINE_BYTES} bytes`);
  }
}

/** The process's stdin; whichever way is used first is the only one. */
export function processStdin(): Stdin {
  let data: Buffer | undefined;
  return {
    all() {
      if (data === undefined) {
        try {
          data = readFileSync(0);
        } catch {
          data = Buffer.alloc(0);
        }
      }
      return data;
    },
    lines() {
      return fdLines(0);
    },
  };
}
