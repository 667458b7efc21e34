// Moving a WAL directory during a migration, durably, including where rename(2) cannot:
// a --wal-dir that is itself a mount point can be neither renamed nor replaced (EBUSY),
// and a directory cannot be renamed onto another filesystem (EXDEV). Then the files are
// copied, each fsynced, and the source's files are removed only after the copy is whole
// and durable, so a crash at any instant leaves at least one complete copy.
//
// Only regular files at the top level are copied: a WAL directory holds nothing else
// (a mount point's lost+found is left where it is).

import { copyFile, mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncDir } from '../wal/segment-files.js';

export type RenameFn = (from: string, to: string) => Promise<void>;

/** rename(2) errors meaning "not on this path": fall back to copying. */
const NEEDS_COPY = new Set(['EXDEV', 'EBUSY']);

function needsCopy(err: unknown): boolean {
  return NEEDS_COPY.has((err as NodeJS.ErrnoException).code ?? '');
}

async function regularFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) if (d.isFile()) out.push(d.name);
  return out.sort();
}

async function copyFileDurably(from: string, to: string): Promise<void> {
  await copyFile(from, to);
  const fh = await open(to, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Removes the regular files directly in `dir` (leftovers of a move a crash cut short). */
export async function removeFilesIn(dir: string): Promise<void> {
  for (const name of await regularFiles(dir)) await unlink(join(dir, name));
  await fsyncDir(dir);
}

/**
 * Renames `from` to `to` and fsyncs the directories involved; false when the rename cannot
 * be done on this filesystem layout (a mount point, another device) and the caller must copy.
 */
async function renamedDurably(from: string, to: string, renameFn: RenameFn): Promise<boolean> {
  try {
    await renameFn(from, to);
  } catch (err) {
    if (!needsCopy(err)) throw err;
    return false;
  }
  await fsyncDir(dirname(to));
  if (dirname(from) !== dirname(to)) await fsyncDir(dirname(from));
  return true;
}

/**
 * Moves `from` to `to`, which must not exist. By rename where it can; otherwise `from`'s
 * files are copied into `<to>.copying`, fsynced, that is renamed `to` (the copy is
 * complete from this instant), and only then are `from`'s files removed, leaving `from`
 * an empty directory (a mount point has to stay). A crash before the rename leaves
 * `from` whole and no `to`; after it, `to` whole and maybe some of `from`'s files, which
 * the caller, seeing `to`, removes with removeFilesIn.
 */
export async function moveDirAside(from: string, to: string, renameFn: RenameFn = rename): Promise<void> {
  if (await renamedDurably(from, to, renameFn)) return;
  const copying = join(dirname(to), `${basename(to)}.copying`);
  await rm(copying, { recursive: true, force: true });
  await mkdir(copying, { mode: 0o700 });
  for (const name of await regularFiles(from)) await copyFileDurably(join(from, name), join(copying, name));
  await fsyncDir(copying);
  await rename(copying, to);
  await fsyncDir(dirname(to));
  await removeFilesIn(from);
}

/**
 * Makes `to` hold what `from` holds, then removes `from`. `to` is absent or an empty
 * directory (clear it with removeFilesIn first). By rename where it can; otherwise each
 * file is copied into `to` as `<name>.tmp`, fsynced and renamed to its name, `to` is
 * fsynced, and only then is `from` removed. A crash before that leaves `from` whole,
 * so the move is simply redone.
 */
export async function moveDirInto(from: string, to: string, renameFn: RenameFn = rename): Promise<void> {
  if (await renamedDurably(from, to, renameFn)) return;
  await mkdir(to, { recursive: true, mode: 0o700 });
  for (const name of await regularFiles(from)) {
    // `.tmp` after the name: a `<segment>.wal.tmp` is what WAL.open already deletes.
    const tmp = join(to, `${name}.tmp`);
    await copyFileDurably(join(from, name), tmp);
    await rename(tmp, join(to, name));
  }
  await fsyncDir(to);
  await rm(from, { recursive: true, force: true });
  await fsyncDir(dirname(from));
}
