// A command's stdout or stderr collected as bytes: keys and values are written raw,
// as Go writes them, and flushed once the command is done.

import { writeSync } from 'node:fs';

const NEWLINE = Buffer.from('\n');

export class Output {
  private readonly chunks: Buffer[] = [];
  line(s: string | Uint8Array = ''): void {
    this.chunks.push(typeof s === 'string' ? Buffer.from(s) : Buffer.from(s), NEWLINE);
  }
  raw(s: string | Uint8Array): void {
    this.chunks.push(typeof s === 'string' ? Buffer.from(s) : Buffer.from(s));
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Writes each line as it is printed, for commands that run until stopped (keep-alive, watch). */
export class ImmediateOutput extends Output {
  override line(l: string | Uint8Array = ''): void {
    writeSync(1, Buffer.concat([Buffer.from(l), NEWLINE]));
  }
  override raw(l: string | Uint8Array): void {
    writeSync(1, Buffer.from(l));
  }
}
