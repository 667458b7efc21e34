// A separate process for the WAL tests that need one (not a test file itself):
//   node wal-child.js hold <dir>          open the WAL, print "held", exit when stdin closes
//   node wal-child.js save-loop <dir>     open (or create) the WAL and save forever,
//                                         printing "ack <index>" after each save resolves
// The parent kills it with SIGKILL to simulate a crash at an arbitrary instant.

import { createInterface } from 'node:readline';
import { WAL } from '../../src/wal/wal.js';
import { EntryType } from '../../src/raft/types.js';
import { CHILD_SEGMENT_BYTES } from './helpers.js';


async function main(): Promise<void> {
  const [mode, dir] = process.argv.slice(2);
  if (!dir) throw new Error('usage: wal-child.js hold|save-loop <dir>');
  if (mode === 'hold') {
    const wal = await WAL.open(dir, { segmentBytes: CHILD_SEGMENT_BYTES });
    process.stdout.write('held\n');
    createInterface({ input: process.stdin }).on('close', () => void wal.close().then(() => process.exit(0)));
    return;
  }
  if (mode === 'save-loop') {
    let wal: WAL;
    let next = 1;
    if (WAL.exists(dir)) {
      wal = await WAL.open(dir, { segmentBytes: CHILD_SEGMENT_BYTES });
      next = ((await wal.readAll()).entries.at(-1)?.index ?? 0) + 1;
    } else {
      wal = await WAL.create(dir, new Uint8Array([1, 2, 3]), { segmentBytes: CHILD_SEGMENT_BYTES });
    }
    for (;;) {
      // Two saves in flight at once, as a pipelined driver might do; ack in order.
      const batch = [next, next + 1];
      const saves = batch.map((i) => wal.save({ term: 1, vote: 7n, commit: i - 1 }, [{ index: i, term: 1, type: EntryType.Normal, data: Buffer.alloc(i % 300, i % 251) }]));
      for (let k = 0; k < saves.length; k++) {
        await saves[k];
        process.stdout.write(`ack ${batch[k]}\n`);
      }
      next += batch.length;
    }
  }
  throw new Error(`unknown mode ${mode}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
