// Raft snapshot files: what save() wrote, load() returns; the newest intact one wins,
// damaged ones are skipped with a warning and renamed `.broken` as etcd does; purge keeps
// the newest --max-snapshots; the bytes on disk match the golden fixture.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SnapNoSnapshotError, Snapshotter } from '../../src/snap/snapshotter.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/snap/snap-format.js';
import type { Snapshot } from '../../src/raft/types.js';

const FIXTURE = fileURLToPath(new URL('../../../test/snap/fixtures/0000000000000002-0000000000000005.snap', import.meta.url));

function tempDir(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'snap-test-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function snap(index: number, term: number, data = `state@${index}`): Snapshot {
  return {
    data: new TextEncoder().encode(data),
    metadata: { index, term, confState: { voters: [1n, 0x8e9e05c52164694dn], learners: [0xffffffffffffffffn] } },
  };
}

function collectWarnings() {
  const seen: { msg: string; fields: Record<string, unknown> }[] = [];
  return { warn: (msg: string, fields: Record<string, unknown>) => seen.push({ msg, fields }), seen };
}

test('a saved snapshot loads back whole, and the newest one is chosen', async (t) => {
  const dir = tempDir(t);
  const s = new Snapshotter(dir);
  await s.save(snap(10, 2));
  await s.save(snap(30, 3));
  await s.save(snap(20, 3));
  assert.deepEqual(readdirSync(dir).sort(), [
    '0000000000000002-000000000000000a.snap',
    '0000000000000003-0000000000000014.snap',
    '0000000000000003-000000000000001e.snap',
  ]);
  assert.deepEqual(await s.load(), snap(30, 3));
});

test('an empty snapshot is not written, and an empty directory has no snapshot', async (t) => {
  const dir = tempDir(t);
  const s = new Snapshotter(dir);
  await s.save(snap(0, 0));
  assert.deepEqual(readdirSync(dir), []);
  await assert.rejects(s.load(), (err: Error) => err instanceof SnapNoSnapshotError && /^snap: no available snapshot/.test(err.message));
});

test('damaged snapshot files are skipped with a warning and renamed .broken; an older intact one loads', async (t) => {
  const dir = tempDir(t);
  const w = collectWarnings();
  const s = new Snapshotter(dir, { warn: w.warn });
  for (const i of [1, 2, 3, 4]) await s.save(snap(i * 10, 1));
  const names = readdirSync(dir).sort();
  // newest: a flipped byte; next: truncated; next: empty. The oldest is intact.
  const flip = readFileSync(join(dir, names[3]!));
  flip[flip.length - 1] = flip[flip.length - 1]! ^ 1;
  writeFileSync(join(dir, names[3]!), flip);
  truncateSync(join(dir, names[2]!), 40);
  writeFileSync(join(dir, names[1]!), '');
  assert.deepEqual(await s.load(), snap(10, 1));
  assert.deepEqual(readdirSync(dir).sort(), [names[0]!, `${names[1]!}.broken`, `${names[2]!}.broken`, `${names[3]!}.broken`]);
  const errors = w.seen.filter((x) => x.msg === 'failed to read a snap file').map((x) => String(x.fields.error));
  assert.equal(errors.length, 3);
  assert.match(errors[0]!, /^snap: crc mismatch: .* in .*0000000000000001-0000000000000028\.snap$/);
  assert.match(errors[1]!, /^snap: crc mismatch/);
  assert.match(errors[2]!, /^snap: empty snapshot/);
  // Reported once: the broken files are not looked at again.
  assert.deepEqual(await s.load(), snap(10, 1));
  assert.equal(w.seen.filter((x) => x.msg === 'failed to read a snap file').length, 3);
});

test('loadNewestAvailable takes the newest snapshot the WAL has a record of', async (t) => {
  const dir = tempDir(t);
  const s = new Snapshotter(dir);
  await s.save(snap(10, 1));
  await s.save(snap(20, 1));
  await s.save(snap(30, 2)); // saved, but the WAL record was never written (crash between)
  const got = await s.loadNewestAvailable([
    { index: 0, term: 0 },
    { index: 10, term: 1 },
    { index: 20, term: 1 },
  ]);
  assert.equal(got.metadata.index, 20);
  await assert.rejects(s.loadNewestAvailable([{ index: 30, term: 1 }]), SnapNoSnapshotError);
});

test('purge keeps the newest max-snapshots files; 0 keeps all', async (t) => {
  const dir = tempDir(t);
  const s = new Snapshotter(dir);
  for (const i of [1, 2, 3, 4, 5, 6, 7]) await s.save(snap(i, 1));
  writeFileSync(join(dir, 'db'), 'backend');
  assert.deepEqual(await s.purge(0), []);
  const removed = await s.purge(5);
  assert.deepEqual(removed.map((p) => p.slice(dir.length + 1)), ['0000000000000001-0000000000000001.snap', '0000000000000001-0000000000000002.snap']);
  assert.equal(readdirSync(dir).filter((n) => n.endsWith('.snap')).length, 5);
  assert.ok(readdirSync(dir).includes('db'), 'other files are left alone');
  assert.equal((await s.load()).metadata.index, 7);
});

test('a leftover temporary file from an interrupted save is removed and ignored', async (t) => {
  const dir = tempDir(t);
  const s = new Snapshotter(dir);
  await s.save(snap(5, 1));
  writeFileSync(join(dir, '0000000000000001-0000000000000009.snap.tmp'), 'partial');
  assert.equal((await s.load()).metadata.index, 5);
  assert.deepEqual(readdirSync(dir), ['0000000000000001-0000000000000005.snap']);
});

test('the snapshot file format matches the golden fixture', () => {
  const s: Snapshot = { data: new TextEncoder().encode('hi'), metadata: { index: 5, term: 2, confState: { voters: [1n], learners: [] } } };
  const bytes = encodeSnapshot(s);
  if (process.env.WAL_GOLDEN_REWRITE === '1') writeFileSync(FIXTURE, bytes);
  assert.equal(bytes.length, 54);
  assert.equal(bytes.toString('hex'), readFileSync(FIXTURE).toString('hex'));
  assert.deepEqual(decodeSnapshot(FIXTURE, readFileSync(FIXTURE)), s);
});
