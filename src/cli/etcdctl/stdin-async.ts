// stdin line by line without blocking the event loop, for commands that print events
// while they wait for the next line (watch --interactive). Like Go's ReadString('\n'),
// a last line without "\n" is not returned: the end of input is. Lines are byte strings.

import { byteStringOf } from '../../pkg/byte-string.js';

export async function* asyncStdinLines(input: NodeJS.ReadableStream = process.stdin): AsyncGenerator<string> {
  let pending = Buffer.alloc(0);
  for await (const chunk of input) {
    pending = Buffer.concat([pending, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
    let nl = pending.indexOf(0x0a);
    while (nl >= 0) {
      yield byteStringOf(pending.subarray(0, nl + 1));
      pending = pending.subarray(nl + 1);
      nl = pending.indexOf(0x0a);
    }
  }
}
