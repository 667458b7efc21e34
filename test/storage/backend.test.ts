// The backend as the stores above it see it: buffered writes visible at once, batches
// committed atomically, consistent read views, hash, snapshot, defrag, and a file that
// survives kill -9 at any instant.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Backend, BUCKETS, type Entry } from '../../src/storage/backend.js';
import { BboltReader } from '../../src/storage/bbolt-reader.js';

const b = (s: string) => Buffer.from(s);
const keys = (es: Entry[]) => es.map((e) => `${e.key.toString()}=${e.value.toString()}`);

/** An LMDB copy of `be` at `path`, as a raft snapshot sends one (Backend.inspectedCopy). */
async function copyTo(be: Backend, path: string): Promise<number> {
  const { stream, size } = await be.inspectedCopy(() => undefined);
  await pipeline(stream, createWriteStream(path));
  return size;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'backend-test-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits until `cond` holds, yielding to the event loop between checks (bounded). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    if (cond()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.fail(`never happened: ${what}`);
}

/** An interval that never fires during a test, so only the limit or forceCommit commits. */
const NO_TIMER = { batchIntervalMs: 3_600_000 };

test('the backend is one file at the given path, with its lock file beside it', async () => {
  await withDir(async (dir) => {
    const be = Backend.open(join(dir, 'db'), NO_TIMER);
    be.put('key', b('a'), b('1'));
    await be.forceCommit();
    assert.deepEqual(readdirSync(dir).sort(), ['db', 'db-lock']);
    assert.ok(be.size() > 0);
    await be.close();
  });
});

test('reads see buffered writes before they are committed, merged with committed ones', async () => {
  await withDir(async (dir) => {
    const be = Backend.open(join(dir, 'db'), NO_TIMER);
    for (const k of ['a', 'b', 'c', 'd']) be.put('key', b(k), b(`old-${k}`));
    await be.forceCommit();
    assert.equal(be.bufferedOps(), 0);
    be.put('key', b('b'), b('new-b'));
    be.delete('key', b('c'));
    be.put('key', b('bb'), b('new-bb'));
    be.put('lease', b('a'), b('other bucket'));
    assert.equal(be.bufferedOps(), 4, 'nothing committed yet');
    assert.equal(be.get('key', b('b'))!.toString(), 'new-b');
    assert.equal(be.get('key', b('c')), undefined, 'a buffered delete hides the committed value');
    assert.deepEqual(keys(be.range('key', b(''))), ['a=old-a', 'b=new-b', 'bb=new-bb', 'd=old-d']);
    assert.deepEqual(keys(be.range('key', b('b'), b('d'))), ['b=new-b', 'bb=new-bb']);
    assert.deepEqual(keys(be.range('key', b('a'), undefined, 2)), ['a=old-a', 'b=new-b']);
    assert.deepEqual(keys(be.range('key', b('d'), b('a'))), [], 'an inverted range is empty');
    await be.forceCommit();
    assert.equal(be.bufferedOps(), 0);
    assert.deepEqual(keys(be.range('key', b(''))), ['a=old-a', 'b=new-b', 'bb=new-bb', 'd=old-d']);
    await be.close();
    const again = Backend.open(join(dir, 'db'), NO_TIMER);
    assert.deepEqual(keys(again.range('key', b(''))), ['a=old-a', 'b=new-b', 'bb=new-bb', 'd=old-d']);
    assert.deepEqual(keys(again.range('lease', b(''))), ['a=other bucket']);
    await again.close();
  });
});

test('a full buffer commits on its own, after the synchronous run of writes that filled it', async () => {
  await withDir(async (dir) => {
    const be = Backend.open(join(dir, 'db'), { ...NO_TIMER, batchLimit: 10, commitChunkOps: 3, writerBatchMaxOps: 0 });
    for (let i = 0; i < 25; i++) be.put('key', b(`k${String(i).padStart(2, '0')}`), b('v'));
    assert.equal(be.bufferedOps(), 25, 'no batch is cut inside a synchronous run');
    await until(() => be.bufferedOps() === 0, 'the full buffer committed');
    await be.close();
    const again = Backend.open(join(dir, 'db'), NO_TIMER);
    assert.equal(again.range('key', b('')).length, 25);
    await again.close();
  });
});

test('small batches (queued whole to the writer thread) and large ones (chunked) store the same', async () => {
  for (const writerBatchMaxOps of [0, 100_000]) {
    await withDir(async (dir) => {
      const be = Backend.open(join(dir, 'db'), { ...NO_TIMER, commitChunkOps: 7, writerBatchMaxOps });
      for (let i = 0; i < 3000; i++) be.put('key', b(`k${String(i).padStart(5, '0')}`), b(`v${i}`));
      be.put('meta', b('consistent_index'), b('3000'));
      await be.forceCommit();
      for (let i = 0; i < 3000; i += 3) be.delete('key', b(`k${String(i).padStart(5, '0')}`));
      be.put('key', b('k00001'), b('rewritten'));
      // Read while the commit runs: the batch being written is still visible.
      const commit = be.forceCommit();
      assert.equal(be.get('key', b('k00001'))!.toString(), 'rewritten');
      assert.equal(be.get('key', b('k00003')), undefined);
      await commit;
      await be.close();
      const again = Backend.open(join(dir, 'db'), NO_TIMER);
      const rows = again.range('key', b(''));
      assert.equal(rows.length, 2000, `writerBatchMaxOps ${writerBatchMaxOps}`);
      assert.equal(again.get('key', b('k00001'))!.toString(), 'rewritten');
      assert.equal(again.get('key', b('k02999'))!.toString(), 'v2999');
      assert.equal(again.get('meta', b('consistent_index'))!.toString(), '3000');
      await again.close();
    });
  }
});

test('writes land wherever their keys fall: past the last key, before it, after deletes, reopen, defrag and replace', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'db');
    const contents = (be: Backend) => keys(be.range('key', b('')));
    let be = Backend.open(path, NO_TIMER);
    be.put('key', b('k10'), b('a'));
    be.put('key', b('k20'), b('b'));
    await be.forceCommit();
    // Below the last key, equal to it, past it: one batch.
    be.put('key', b('k05'), b('c'));
    be.put('key', b('k20'), b('d'));
    be.put('key', b('k30'), b('e'));
    await be.forceCommit();
    // The last key goes; the next writes fall between the new last key and the old one.
    be.delete('key', b('k30'));
    await be.forceCommit();
    be.put('key', b('k25'), b('f'));
    be.put('key', b('k31'), b('g'));
    await be.forceCommit();
    await be.close();

    be = Backend.open(path, NO_TIMER);
    be.put('key', b('k01'), b('h'));
    be.put('key', b('k40'), b('i'));
    await be.defrag();
    be.put('key', b('k50'), b('j'));
    await be.close();
    be = Backend.open(path, NO_TIMER);
    assert.deepEqual(contents(be), ['k01=h', 'k05=c', 'k10=a', 'k20=d', 'k25=f', 'k31=g', 'k40=i', 'k50=j']);

    // A received file whose last key is far past this one's.
    const other = Backend.open(join(dir, 'other.db'), NO_TIMER);
    other.put('key', b('z99'), b('k'));
    await copyTo(other, join(dir, 'received.db'));
    await other.close();
    await be.replaceWith(join(dir, 'received.db'));
    be.put('key', b('k60'), b('l'));
    be.put('key', b('z99a'), b('m'));
    await be.close();
    be = Backend.open(path, NO_TIMER);
    assert.deepEqual(contents(be), ['k60=l', 'z99=k', 'z99a=m']);
    await be.close();
  });
});

test('the batch interval commits a partly filled buffer', async () => {
  await withDir(async (dir) => {
    const be = Backend.open(join(dir, 'db'), { batchIntervalMs: 1 });
    be.put('key', b('a'), b('1'));
    await until(() => be.bufferedOps() === 0, 'the interval committed the buffer');
    await be.close();
  });
});

test('a read view keeps the picture it was taken at, through later writes and commits', async () => {
  await withDir(async (dir) => {
    const be = Backend.open(join(dir, 'db'), NO_TIMER);
    be.put('key', b('a'), b('1'));
    await be.forceCommit();
    be.put('key', b('b'), b('2'));
    const view = be.readView();
    be.put('key', b('a'), b('changed'));
    be.delete('key', b('b'));
    be.put('key', b('c'), b('3'));
    await be.forceCommit();
    assert.deepEqual(keys(view.range('key', b(''))), ['a=1', 'b=2']);
    assert.deepEqual(keys([...view.iterate('key')]), ['a=1', 'b=2']);
    assert.equal(view.get('key', b('c')), undefined);
    view.done();
    assert.throws(() => view.get('key', b('a')), /after done/);
    assert.deepEqual(keys(be.range('key', b(''))), ['a=changed', 'c=3']);
    await be.close();
  });
});

test('open read transactions: one per read view and per running copy, none once they are done', async () => {
  await withDir(async (dir) => {
    const be = Backend.open(join(dir, 'db'), NO_TIMER);
    be.put('key', b('a'), b('1'));
    assert.equal(be.openReadTransactions(), 0);
    const first = be.readView();
    const second = be.readView();
    assert.equal(be.openReadTransactions(), 2);
    first.done();
    assert.equal(be.openReadTransactions(), 1);
    const { stream, inspected } = await be.inspectedCopy(() => be.openReadTransactions());
    assert.equal(inspected, 2, 'the copy holds one while it is made');
    assert.equal(be.openReadTransactions(), 1, 'and none once made');
    await pipeline(stream, createWriteStream(join(dir, 'copy')));
    second.done();
    assert.equal(be.openReadTransactions(), 0);
    await be.close();
  });
});

test('hash depends on contents only: write order, batching and defrag do not change it', async () => {
  await withDir(async (dir) => {
    const one = Backend.open(join(dir, 'one'), NO_TIMER);
    const two = Backend.open(join(dir, 'two'), NO_TIMER);
    for (let i = 0; i < 100; i++) one.put('key', b(`k${i}`), b(`v${i}`));
    one.put('meta', b('m'), b('x'));
    await one.forceCommit();
    two.put('meta', b('m'), b('x'));
    for (let i = 99; i >= 0; i--) two.put('key', b(`k${i}`), b(`v${i}`));
    two.put('key', b('extra'), b('gone soon'));
    await two.forceCommit();
    two.delete('key', b('extra'));
    assert.equal(await one.hash(), await two.hash(), 'the buffered delete counts');
    await two.defrag();
    assert.equal(await one.hash(), await two.hash());
    two.put('key', b('k5'), b('different'));
    assert.notEqual(await one.hash(), await two.hash());
    assert.equal(
      await one.hash((bucket, key) => bucket === 'key' && key.equals(b('k5'))),
      await two.hash((bucket, key) => bucket === 'key' && key.equals(b('k5'))),
      'skipped entries do not count',
    );
    await one.close();
    await two.close();
  });
});

test('defrag shrinks the file after deletes, keeps every entry, and takes writes meanwhile', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'db');
    const be = Backend.open(path, NO_TIMER);
    const big = Buffer.alloc(2000, 1);
    for (let i = 0; i < 5000; i++) be.put('key', b(`k${String(i).padStart(5, '0')}`), big);
    await be.forceCommit();
    for (let i = 0; i < 5000; i++) if (i % 50 !== 0) be.delete('key', b(`k${String(i).padStart(5, '0')}`));
    await be.forceCommit();
    const before = be.size();
    const hashBefore = await be.hash();
    assert.ok(be.sizeInUse() < before / 2, `in use ${be.sizeInUse()} of ${before}`);
    const running = be.defrag();
    be.put('key', b('during'), b('defrag'));
    assert.equal(be.get('key', b('during'))!.toString(), 'defrag', 'reads see writes made during defrag');
    await running;
    const after = be.size();
    assert.ok(after < before / 4, `file shrank from ${before} to ${after} bytes`);
    assert.equal(be.range('key', b('k')).length, 100);
    be.delete('key', b('during'));
    assert.equal(await be.hash(), hashBefore);
    be.put('key', b('after'), b('defrag'));
    await be.close();
    assert.deepEqual(readdirSync(dir).sort(), ['db', 'db-lock'], 'no copies left behind');
    const again = Backend.open(path, NO_TIMER);
    assert.equal(again.get('key', b('after'))!.toString(), 'defrag');
    assert.equal(again.range('key', b('k')).length, 100);
    await again.close();
  });
});

test('a raft snapshot\'s copy is a consistent copy that opens as a backend with the same contents', async () => {
  await withDir(async (dir) => {
    const be = Backend.open(join(dir, 'db'), NO_TIMER);
    for (let i = 0; i < 50; i++) be.put('key', b(`k${i}`), b(`v${i}`));
    be.put('members', b('1'), b('m1'));
    const size = await copyTo(be, join(dir, 'snap.db'));
    assert.ok(size > 0);
    const copy = Backend.open(join(dir, 'snap.db'), NO_TIMER);
    assert.equal(await copy.hash(), await be.hash());
    await copy.close();
    await be.close();
  });
});

test('snapshotStream is a bbolt file of every bucket as of the call, writes made meanwhile left out', async () => {
  await withDir(async (dir) => {
    const be = Backend.open(join(dir, 'db'), NO_TIMER);
    for (let i = 0; i < 3000; i++) be.put('key', b(`k${String(i).padStart(5, '0')}`), Buffer.alloc(i % 700 === 3 ? 100_000 : 40, i & 0xff));
    await be.forceCommit();
    // Buffered, not yet committed: the copy includes it all the same.
    be.put('members', b('1'), b('m1'));
    be.delete('key', b('k00000'));
    const copy = be.snapshotStream();
    be.put('key', b('later'), b('x'));
    const { stream, size } = await copy;
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const file = Buffer.concat(chunks);
    assert.equal(file.length, size);
    const reader = new BboltReader(file);
    assert.deepEqual(reader.bucketNames().map(String), [...BUCKETS].sort());
    const key = [...reader.bucket('key')];
    assert.equal(key.length, 2999);
    assert.equal(key[0]!.key.toString(), 'k00001');
    assert.ok(key.every((e, i) => e.value.length === ((i + 1) % 700 === 3 ? 100_000 : 40)));
    assert.deepEqual([...reader.bucket('members')].map((e) => [String(e.key), String(e.value)]), [['1', 'm1']]);
    await be.close();
    assert.ok(!readdirSync(dir).some((n) => n.includes('.snapshot-')), 'the streamed copy is removed once read');
  });
});

test('stale copies from a crashed defrag or snapshot are removed on open', async () => {
  await withDir(async (dir) => {
    const be = Backend.open(join(dir, 'db'), NO_TIMER);
    be.put('key', b('a'), b('1'));
    // What a crash mid-defrag leaves: a half-made copy beside the file.
    await copyTo(be, join(dir, 'db.defrag-1-1'));
    await be.close();
    assert.ok(existsSync(join(dir, 'db.defrag-1-1')));
    const again = Backend.open(join(dir, 'db'), NO_TIMER);
    assert.ok(!existsSync(join(dir, 'db.defrag-1-1')));
    assert.equal(again.get('key', b('a'))!.toString(), '1');
    await again.close();
  });
});

/**
 * Kills crash-writer.ts (rounds of `rows` writes each) at seeded moments, `kills` times on
 * one file, and checks after each kill that the file holds exactly whole rounds.
 */
async function killWriterRepeatedly(rows: number, kills: number, seed: number): Promise<void> {
  const writer = join(fileURLToPath(new URL('.', import.meta.url)), 'crash-writer.js');
  const ROWS = rows;
  // Seeded, so a failure reproduces: how many "committed" lines to wait for before killing.
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  await withDir(async (dir) => {
    const path = join(dir, 'db');
    let acknowledged = 0;
    for (let round = 0; round < kills; round++) {
      const waitLines = 1 + (next() % 3);
      acknowledged = await new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, [writer, path, String(ROWS)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let seen = 0;
        let last = 0;
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (s: string) => {
          for (const line of s.split('\n').filter(Boolean)) {
            last = Number(line.split(' ')[1]);
            if (++seen === waitLines) child.kill('SIGKILL');
          }
        });
        child.on('exit', () => resolve(last));
        child.on('error', reject);
      });
      const be = Backend.open(path, NO_TIMER);
      const raw = be.get('meta', b('rounds'));
      const rounds = raw ? raw.readUInt32BE(0) : 0;
      assert.ok(rounds >= acknowledged, `committed rounds survive: ${rounds} >= ${acknowledged}`);
      const rows = be.range('key', Buffer.alloc(0)).map((e) => e.key.readUInt32BE(0));
      const deleted = rounds > 2 ? rounds - 2 : 0; // rows i*ROWS for 1 <= i <= rounds-3 were deleted
      assert.equal(rows.length, rounds * ROWS - Math.max(0, deleted - 1), 'exactly the rows of the committed rounds');
      assert.ok(rows.every((r) => r < rounds * ROWS), 'no row from a round past the recorded count');
      await be.close();
    }
  });
}

test('kill -9 at arbitrary moments never leaves a torn batch or a corrupt file', { timeout: 120_000 }, async () => {
  await killWriterRepeatedly(50, 5, 12345);
});

// Rounds of 50 writes commit mostly whole on lmdb-js's writer thread (batch()); rounds of
// 2,500 in yielding chunks of one open transaction: either must reach the file whole or
// not at all.
test('kill -9 never tears a commit of many thousand writes', { timeout: 120_000 }, async () => {
  await killWriterRepeatedly(2500, 4, 777);
});
