// stdin line by line without blocking the event loop, for commands that print events
// while they wait for the next line (watch --interactive). Like Go's ReadString('\n'),
// a last line without "\n" is not returned: the end of input is. Lines are byte strings.

import { LineSplitter } from './line-splitter.js';

export async function* asyncStdinLines(input: NodeJS.ReadableStream = process.stdin): AsyncGenerator<string> {
  const splitter = new LineSplitter();
  for await (const chunk of input) {
    yield* splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
}
