// Whether a process id names a running process, for lock files and claims that record
// their holder's pid.

/** True while `pid` runs: signal 0 checks without signalling; EPERM means it runs as another user. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
