// A command's stdout or stderr collected as bytes: keys and values are written raw,
// as Go writes them, and flushed once the command is done. Text is written as the
// bytes it stands for, so an argument echoed in a message keeps its raw bytes.
// Go's etcdctl writes both streams unbuffered, so `etcdctl ... 2>&1` shows stderr and
// stdout lines in the order they were printed; a PrintOrder shared by the two Outputs
// keeps that order for the flush.

import { writeSync } from 'node:fs';
import { byteStringBytes } from '../../pkg/byte-string.js';

const NEWLINE = Buffer.from('\n');

function toBytes(s: string | Uint8Array): Buffer {
  return typeof s === 'string' ? byteStringBytes(s) : Buffer.from(s);
}

/** Writes bytes to a file descriptor (1 or 2). */
export type FdWriter = (fd: number, bytes: Buffer) => void;

const writeFd: FdWriter = (fd, bytes) => void writeSync(fd, bytes);

/** The pending output of stdout and stderr in the order it was printed. */
export class PrintOrder {
  private pending: { output: Output; fd: number; bytes: Buffer }[] = [];

  /** @internal Output's record of a chunk it collected. */
  note(output: Output, fd: number, bytes: Buffer): void {
    this.pending.push({ output, fd, bytes });
  }

  /** Writes everything pending, in print order, each run of one stream's chunks at once. */
  flush(write: FdWriter = writeFd): void {
    const pending = this.pending;
    this.pending = [];
    for (let i = 0; i < pending.length; ) {
      let j = i + 1;
      while (j < pending.length && pending[j]!.fd === pending[i]!.fd) j++;
      const bytes = Buffer.concat(pending.slice(i, j).map((p) => p.bytes));
      if (bytes.length > 0) write(pending[i]!.fd, bytes);
      i = j;
    }
    for (const output of new Set(pending.map((p) => p.output))) output.forget();
  }
}

export class Output {
  private readonly chunks: Buffer[] = [];

  /** With `order`, this is stream `fd` of a pair whose flushes keep the order lines were printed in. */
  constructor(private readonly order?: { order: PrintOrder; fd: number }) {}

  line(s: string | Uint8Array = ''): void {
    this.push(Buffer.concat([toBytes(s), NEWLINE]));
  }
  raw(s: string | Uint8Array): void {
    this.push(toBytes(s));
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  /**
   * Writes what was collected so far and forgets it: long-running commands show their
   * warnings at once. An Output sharing a PrintOrder writes both streams' pending output, in order.
   */
  flushTo(fd: number): void {
    if (this.order) return this.order.order.flush();
    const b = this.bytes();
    this.forget();
    if (b.length > 0) writeSync(fd, b);
  }
  /**
   * Before something goes straight to the terminal (a password prompt): when this Output
   * shares a PrintOrder, writes both streams' pending output so the prompt comes after it.
   */
  flushPrinted(): void {
    this.order?.order.flush();
  }
  /** @internal Drops what was collected (it has been written). */
  forget(): void {
    this.chunks.length = 0;
  }
  private push(b: Buffer): void {
    this.chunks.push(b);
    this.order?.order.note(this, this.order.fd, b);
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
