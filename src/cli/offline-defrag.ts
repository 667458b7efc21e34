// Defragments the backend of a data directory no member is running on (`etcdutl defrag
// --data-dir`, `etcdctl defrag --data-dir`). etcd waits on bbolt's file lock while a
// member holds the db; our members hold the WAL directory's lock for as long as they
// run, so we wait on that one, with etcd's message after a second.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Backend } from '../storage/backend.js';
import { DirLock } from '../wal/dir-lock.js';
import { WalLockedError } from '../wal/errors.js';

export interface OfflineDefragOptions {
  /** What to tell the user while a running member holds the directory. */
  waitingHint: string;
  warn(line: string): void;
  pollMs?: number;
}

async function lockWal(walDir: string, dbPath: string, opts: OfflineDefragOptions): Promise<DirLock | undefined> {
  if (!existsSync(walDir)) return undefined;
  const started = Date.now();
  let warned = false;
  for (;;) {
    try {
      return DirLock.acquire(walDir);
    } catch (err) {
      if (!(err instanceof WalLockedError)) throw err;
    }
    if (!warned && Date.now() - started >= 1000) {
      warned = true;
      opts.warn(`waiting for etcd to close and release its lock on ${JSON.stringify(dbPath)}. ${opts.waitingHint}`);
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
  }
}

export async function defragDataDir(dataDir: string, opts: OfflineDefragOptions): Promise<void> {
  const dbPath = join(dataDir, 'member', 'snap', 'db');
  // etcd would create an empty db here (and etcdctl 3.4 then panics); refusing is kinder.
  if (!existsSync(dbPath)) throw new Error(`open ${dbPath}: no such file or directory`);
  const lock = await lockWal(join(dataDir, 'member', 'wal'), dbPath, opts);
  try {
    const backend = Backend.open(dbPath);
    try {
      await backend.defrag();
    } finally {
      await backend.close();
    }
  } finally {
    lock?.release();
  }
}
