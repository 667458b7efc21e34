// An exclusive lock on a WAL directory, so that two members (two processes, or two WAL
// handles in one process) never append to the same log.
//
// Node has no flock(2), so the lock is a file, `LOCK`, created with O_EXCL and holding
// "<pid> <start time>" of its holder. The start time is field 22 of /proc/<pid>/stat
// (clock ticks since boot), which tells a live holder from a dead one whose pid has been
// reused, e.g. by a restarted container where every member is pid 1. A lock left by a
// process that died (kill -9) is stale and taken over.
//
// Limitation: two processes taking over the same stale lock at the same instant could
// both succeed; starting two members on one data dir at once after a crash is not
// otherwise guarded. A live holder is always respected.

import { closeSync, openSync, readFileSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { WalLockedError } from './errors.js';
import { pidAlive } from '../pkg/pid-alive.js';

export const LOCK_FILE_NAME = 'LOCK';

/** Real paths of the directories this process holds, so a second handle here is refused too. */
const heldHere = new Set<string>();

function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; fields after the
    // last ')' are space separated, starting with field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[22 - 3];
  } catch {
    return undefined;
  }
}

const ownStart = processStartTime(process.pid) ?? '-';

/** Whether the holder named in a lock file's content is still running. */
function holderAlive(content: string): { alive: boolean; pid: number } {
  const [pidText, start] = content.trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return { alive: false, pid: 0 };
  if (pid === process.pid) {
    // Our pid: either us (a handle we released without deleting the file cannot exist,
    // and a held one is in heldHere) or a dead predecessor with the same pid.
    return { alive: false, pid };
  }
  if (!pidAlive(pid)) return { alive: false, pid };
  const now = processStartTime(pid);
  // Without /proc (or without a recorded start time) a live pid counts as the holder.
  return { alive: now === undefined || start === undefined || start === '-' || now === start, pid };
}

export class DirLock {
  private constructor(
    private readonly key: string,
    private readonly path: string,
  ) {}

  /** Takes the lock on `dir` or throws WalLockedError. */
  static acquire(dir: string): DirLock {
    const key = realpathSync(dir);
    if (heldHere.has(key)) throw new WalLockedError(dir, process.pid);
    const path = join(dir, LOCK_FILE_NAME);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        try {
          writeSync(fd, `${process.pid} ${ownStart}\n`);
        } finally {
          closeSync(fd);
        }
        heldHere.add(key);
        return new DirLock(key, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      let content: string;
      try {
        content = readFileSync(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const holder = holderAlive(content);
      if (holder.alive) throw new WalLockedError(dir, holder.pid);
      try {
        unlinkSync(path); // stale: its holder is gone
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    throw new WalLockedError(dir, 0);
  }

  release(): void {
    if (!heldHere.delete(this.key)) return;
    try {
      unlinkSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
