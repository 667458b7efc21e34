// Two members can never append to one WAL: a second handle (in this process or another
// live one) is refused; a lock left by a killed process is taken over. And kill -9 at an
// arbitrary instant loses nothing whose save() had resolved.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WAL, WalLockedError } from '../../src/wal/wal.js';
import { CHILD_SEGMENT_BYTES, META, readBack, segmentFiles, tempRoot } from './helpers.js';

const CHILD = fileURLToPath(new URL('./wal-child.js', import.meta.url));
/** Acknowledged saves to wait for before each kill. */
const ACKS_BEFORE_KILL = 150;
const CRASH_ROUNDS = 4;

function startChild(mode: string, dir: string): { proc: ChildProcess; lines: AsyncIterator<string> } {
  const proc = spawn(process.execPath, [CHILD, mode, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  return { proc, lines };
}

async function nextLine(lines: AsyncIterator<string>): Promise<string> {
  const r = await lines.next();
  assert.ok(!r.done, 'child exited early');
  return r.value;
}

test('a second handle in the same process is refused until the first is closed', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  const first = await WAL.create(dir, META);
  await assert.rejects(WAL.open(dir), (err: Error) => err instanceof WalLockedError && /^fileutil: file already locked/.test(err.message));
  await first.close();
  const second = await WAL.open(dir);
  await second.close();
});

test('a WAL held by another live process is refused; once that process is killed, it can be opened', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  await (await WAL.create(dir, META)).close();
  const child = startChild('hold', dir);
  t.after(() => child.proc.kill('SIGKILL'));
  assert.equal(await nextLine(child.lines), 'held');
  await assert.rejects(WAL.open(dir), (err: Error) => {
    assert.ok(err instanceof WalLockedError);
    assert.equal(err.holderPid, child.proc.pid);
    return true;
  });
  child.proc.kill('SIGKILL');
  await once(child.proc, 'exit');
  const wal = await WAL.open(dir);
  await wal.close();
});

test('a lock file naming a dead process, or a reused pid with another start time, is stale', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  await (await WAL.create(dir, META)).close();
  writeFileSync(join(dir, 'LOCK'), '999999999 12345\n');
  await (await WAL.open(dir)).close();
  // pid 1 is alive, but started at another time than recorded: the pid was reused.
  writeFileSync(join(dir, 'LOCK'), '1 1\n');
  await (await WAL.open(dir)).close();
  // Our own pid from a previous life (same pid, container restart): stale too.
  writeFileSync(join(dir, 'LOCK'), `${process.pid} 1\n`);
  await (await WAL.open(dir)).close();
});

test('kill -9 at arbitrary instants loses no acknowledged save, across segment cuts', async (t) => {
  const dir = join(tempRoot(t), 'wal');
  let acked = 0;
  for (let round = 0; round < CRASH_ROUNDS; round++) {
    const child = startChild('save-loop', dir);
    t.after(() => child.proc.kill('SIGKILL'));
    let seen = 0;
    while (seen < ACKS_BEFORE_KILL) {
      const line = await nextLine(child.lines);
      const m = /^ack (\d+)$/.exec(line);
      assert.ok(m, line);
      const index = Number(m[1]);
      assert.ok(index > acked, `ack ${index} after ${acked}`);
      acked = index;
      seen++;
    }
    child.proc.kill('SIGKILL');
    await once(child.proc, 'exit');
    const c = await readBack(dir, { segmentBytes: CHILD_SEGMENT_BYTES });
    const indexes = c.entries.map((e) => e.index);
    assert.ok(indexes.length >= acked, `round ${round}: ${indexes.length} entries, ${acked} acknowledged`);
    assert.deepEqual(indexes.slice(0, acked), Array.from({ length: acked }, (_, i) => i + 1));
    for (const e of c.entries) assert.deepEqual(Buffer.from(e.data), Buffer.alloc(e.index % 300, e.index % 251));
    acked = indexes.length; // unacknowledged but durable entries are kept and continued from
  }
  assert.ok(segmentFiles(dir).length > 2, 'the crashes spanned segment cuts');
});
