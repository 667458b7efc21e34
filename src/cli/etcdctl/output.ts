// A command's stdout or stderr collected as bytes: keys and values are written raw,
// as Go writes them, and flushed once the command is done.

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
