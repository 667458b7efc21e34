// A command's stdout or stderr collected as bytes: keys and values are written raw,
// as Go writes them, and flushed once the command is done. Text is written as the
// bytes it stands for, so an argument echoed in a message keeps its raw bytes.

import { writeSync } from 'node:fs';
import { byteStringBytes } from '../../pkg/byte-string.js';

const NEWLINE = Buffer.from('\n');

function toBytes(s: string | Uint8Array): Buffer {
  return typeof s === 'string' ? byteStringBytes(s) : Buffer.from(s);
}

export class Output {
  private readonly chunks: Buffer[] = [];
  line(s: string | Uint8Array = ''): void {
    this.chunks.push(toBytes(s), NEWLINE);
  }
  raw(s: string | Uint8Array): void {
    this.chunks.push(toBytes(s));
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  /** Writes what was collected so far and forgets it: long-running commands show their warnings at once. */
  flushTo(fd: number): void {
    const b = this.bytes();
    this.chunks.length = 0;
    if (b.length > 0) writeSync(fd, b);
  }
}

/** Writes each line as it is printed, for commands that run until stopped (keep-alive, watch). */
export class ImmediateOutput extends Output {
  /** @param fd 1 for stdout, 2 for stderr. */
  constructor(private readonly fd = 1) {
    super();
  }
  override line(l: string | Uint8Array = ''): void {
    writeSync(this.fd, Buffer.concat([toBytes(l), NEWLINE]));
  }
  override raw(l: string | Uint8Array): void {
    writeSync(this.fd, toBytes(l));
  }
}
