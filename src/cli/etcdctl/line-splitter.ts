// Cuts a stream of stdin chunks into lines the way Go's ReadString('\n') hands them to
// etcdctl: each line keeps its "\n", and bytes after the last "\n" wait for more input
// (at the end of input they are dropped, as ReadString reports EOF for them). Lines are
// byte strings: Go reads bytes, so a key typed in Latin-1 stays as typed. The blocking
// reader (txn, lease keep-alive) and the event-loop one (watch --interactive) share it.

import { byteStringOf } from '../../pkg/byte-string.js';

export class LineSplitter {
  private pending = Buffer.alloc(0);

  /** Adds a chunk of input and returns the lines it completed. */
  push(chunk: Buffer): string[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    const lines: string[] = [];
    let nl = this.pending.indexOf(0x0a);
    while (nl >= 0) {
      lines.push(byteStringOf(this.pending.subarray(0, nl + 1)));
      this.pending = this.pending.subarray(nl + 1);
      nl = this.pending.indexOf(0x0a);
    }
    return lines;
  }

  /** Bytes of a line still without its "\n". */
  get pendingBytes(): number {
    return this.pending.length;
  }
}
