// Raft snapshot files in the member's snap dir (`<data-dir>/member/snap`): save one per
// raft snapshot, load the newest that is intact, purge old ones for --max-snapshots.
// Format: snap-format.ts.
//
// Order with the WAL (the member's job, stated here because correctness depends on it):
// Snapshotter.save(snap) → wal.saveSnapshot({index, term}) → wal.releaseLockTo(index).
// On restart, load the newest snapshot file that the WAL also records
// (loadNewestAvailable(await validSnapshotMarks(walDir))), then WAL.open(.., {fromSnapshot}).
//
// Invariants:
// - A `.snap` file is whole or absent: it is written as `<name>.tmp`, fsynced, renamed,
//   and the directory fsynced.
// - A file that fails to decode is renamed `<name>.broken` (as etcd does) and skipped,
//   so it is reported once and never chosen again.

import { snapFsyncSeconds, snapMarshallingSeconds, snapSaveSeconds } from '../metrics/registry.js';
import { open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Snapshot } from '../raft/types.js';
import { SNAP_SUFFIX, decodeSnapshot, encodeSnapshot, parseSnapName, snapName } from './snap-format.js';
import { SnapNoSnapshotError } from './errors.js';

export * from './errors.js';
export { snapName, parseSnapName } from './snap-format.js';

export const BROKEN_SUFFIX = '.broken';
const TMP_SUFFIX = '.snap.tmp';

export type SnapWarn = (msg: string, fields: Record<string, unknown>) => void;

export interface SnapshotterOptions {
  /** Told about snapshot files that were skipped as broken. */
  warn?: SnapWarn;
}

export class Snapshotter {
  constructor(
    /** The snap directory; must exist. */
    readonly dir: string,
    private readonly opts: SnapshotterOptions = {},
  ) {}

  /** Writes `snapshot` durably as `<term>-<index>.snap`. An empty snapshot (index 0) is not written. */
  async save(snapshot: Snapshot): Promise<void> {
    const { index, term } = snapshot.metadata;
    if (index === 0) return;
    const name = snapName(term, index);
    const tmp = join(this.dir, `${name}.tmp`);
    const began = performance.now();
    const buf = encodeSnapshot(snapshot);
    snapMarshallingSeconds.observe((performance.now() - began) / 1000);
    // etcd times the file's write and fsync together as its "fsync".
    const writeBegan = performance.now();
    const fh = await open(tmp, 'w', 0o600);
    try {
      let done = 0;
      while (done < buf.length) done += (await fh.write(buf, done, buf.length - done, done)).bytesWritten;
      await fh.sync();
    } finally {
      await fh.close();
      snapFsyncSeconds.observe((performance.now() - writeBegan) / 1000);
    }
    await rename(tmp, join(this.dir, name));
    await fsyncDir(this.dir);
    snapSaveSeconds.observe((performance.now() - began) / 1000);
  }

  /** The newest intact snapshot. Throws SnapNoSnapshotError (`snap: no available snapshot`) if none. */
  async load(): Promise<Snapshot> {
    return this.loadMatching(() => true);
  }

  /**
   * The newest intact snapshot whose (index, term) is one of `marks` (the WAL's snapshot
   * records, see validSnapshotMarks): a snapshot file the WAL does not know of may be
   * ahead of what the WAL can continue from.
   */
  async loadNewestAvailable(marks: { index: number; term: number }[]): Promise<Snapshot> {
    const want = new Set(marks.map((m) => `${m.term}/${m.index}`));
    return this.loadMatching((n) => want.has(`${n.term}/${n.index}`));
  }

  /** Snapshot file names, newest first. Removes leftovers of interrupted saves. */
  async snapNames(): Promise<string[]> {
    const names = await readdir(this.dir);
    for (const n of names) if (n.endsWith(TMP_SUFFIX)) await unlink(join(this.dir, n));
    return names.filter((n) => parseSnapName(n) !== undefined).sort().reverse();
  }

  /**
   * Deletes the oldest `.snap` files while more than `maxSnapshots` remain (etcd's
   * --max-snapshots; 0 means unlimited). Returns the deleted paths.
   */
  async purge(maxSnapshots: number): Promise<string[]> {
    if (maxSnapshots <= 0) return [];
    const names = await this.snapNames();
    const removed: string[] = [];
    for (const n of names.slice(maxSnapshots).reverse()) {
      const path = join(this.dir, n);
      await unlink(path);
      removed.push(path);
    }
    if (removed.length > 0) await fsyncDir(this.dir);
    return removed;
  }

  private async loadMatching(accept: (n: { term: number; index: number }) => boolean): Promise<Snapshot> {
    for (const name of await this.snapNames()) {
      const parsed = parseSnapName(name)!;
      if (!accept(parsed)) continue;
      const path = join(this.dir, name);
      try {
        const snap = decodeSnapshot(path, await readFile(path));
        if (snap.metadata.index !== parsed.index || snap.metadata.term !== parsed.term) {
          throw new Error(`snap: file holds index ${snap.metadata.index} term ${snap.metadata.term}, not what its name says`);
        }
        return snap;
      } catch (err) {
        this.opts.warn?.('failed to read a snap file', { path, error: err instanceof Error ? err.message : String(err) });
        await rename(path, path + BROKEN_SUFFIX);
        this.opts.warn?.('renamed a broken snap file', { path, renamed: path + BROKEN_SUFFIX });
      }
    }
    throw new SnapNoSnapshotError(this.dir);
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export { SNAP_SUFFIX };
