// Shared by the WAL tests: temp dirs, entries, and reading a WAL back in one call.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WAL, type WalContents, type WalOpenOptions } from '../../src/wal/wal.js';
import { EntryType, type Entry } from '../../src/raft/types.js';

/** test/wal/fixtures in the source tree (tests run from dist/test/wal). */
export const FIXTURES_DIR = fileURLToPath(new URL('../../../test/wal/fixtures/', import.meta.url));

export const SMALL_SEGMENT_BYTES = 4096;
/** Segment size used by wal-child.js, so the parent reopens with the same one. */
export const CHILD_SEGMENT_BYTES = 16 * 1024;
export const META = new TextEncoder().encode('member-metadata');

export function tempRoot(t: { after: (fn: () => void) => void }): string {
  const root = mkdtempSync(join(tmpdir(), 'wal-test-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

export function entry(index: number, term = 1, data = `data-${index}`, type = EntryType.Normal): Entry {
  return { index, term, type, data: new TextEncoder().encode(data) };
}

/** [index, term, data as text] of each entry, for readable assertions. */
export function summary(entries: Entry[]): [number, number, string][] {
  return entries.map((e) => [e.index, e.term, Buffer.from(e.data).toString()]);
}

export function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.wal'))
    .sort();
}

/** Opens, reads everything, closes. */
export async function readBack(dir: string, opts: WalOpenOptions = {}): Promise<WalContents> {
  const wal = await WAL.open(dir, { segmentBytes: SMALL_SEGMENT_BYTES, ...opts });
  try {
    return await wal.readAll();
  } finally {
    await wal.close();
  }
}

/** Collects warnings passed to WalOptions.warn. */
export function warnings(): { warn: (msg: string, fields: Record<string, unknown>) => void; seen: { msg: string; fields: Record<string, unknown> }[] } {
  const seen: { msg: string; fields: Record<string, unknown> }[] = [];
  return { warn: (msg, fields) => seen.push({ msg, fields }), seen };
}
