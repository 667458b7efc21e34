// Child process for the kill -9 test: writes rounds of rows to a backend forever. Each
// round writes rows round*ROWS..round*ROWS+ROWS-1 (ROWS: argv[3], default 50) and sets meta "rounds" to round+1 in
// one synchronous stretch (so in one batch), then prints "committed <n>" whenever a
// forced commit finishes. The parent kills it at an arbitrary moment.

import { Backend } from '../../src/storage/backend.js';

const ROWS_PER_ROUND = Number(process.argv[3] ?? 50);

const path = process.argv[2]!;
const b = Backend.open(path, { batchIntervalMs: 5, batchLimit: 200 });
const start = b.get('meta', Buffer.from('rounds'));
let round = start ? start.readUInt32BE(0) : 0;
const value = Buffer.alloc(300, 7);

function row(i: number): Buffer {
  const k = Buffer.alloc(4);
  k.writeUInt32BE(i);
  return k;
}

for (;;) {
  for (let i = 0; i < 20; i++) {
    for (let r = 0; r < ROWS_PER_ROUND; r++) b.put('key', row(round * ROWS_PER_ROUND + r), value);
    // Rows of an earlier round are deleted now and then, so pages are freed and reused.
    if (round > 2) b.delete('key', row((round - 2) * ROWS_PER_ROUND));
    const n = Buffer.alloc(4);
    n.writeUInt32BE(round + 1);
    b.put('meta', Buffer.from('rounds'), n);
    round++;
    await new Promise((resolve) => setImmediate(resolve));
  }
  await b.forceCommit();
  process.stdout.write(`committed ${round}\n`);
}
