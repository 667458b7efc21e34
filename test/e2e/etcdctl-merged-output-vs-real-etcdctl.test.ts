// `etcdctl ... 2>&1`: Go's etcdctl writes stdout and stderr unbuffered, so a merged log
// shows each stream's lines where they were printed (a warning before the answer, an
// error before the usage, stty's complaint right after a password prompt). Ours must
// interleave them the same way, not print all of stdout and then all of stderr.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { freePort, OUR_ETCDCTL, REAL_ETCDCTL, removeDir, startMember, stopMember } from '../helpers/processes.js';

/** Both streams through one pipe, as a shell's 2>&1 gives them. */
function merged(which: 'ours' | 'real', args: string[], env: NodeJS.ProcessEnv = {}, input = ''): string {
  const cmd = which === 'ours' ? [process.execPath, OUR_ETCDCTL] : [REAL_ETCDCTL];
  const r = spawnSync('bash', ['-c', 'exec "$@" 2>&1', 'bash', ...cmd, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, ETCDCTL_API: '3', ...env },
    timeout: 30_000,
  });
  return `exit ${r.status}\n${r.stdout}`;
}

/** Timestamps and the client's random target name differ from run to run. */
function masked(text: string): string {
  return text
    .replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+/gm, '<time>')
    .replace(/"ts":"[^"]*"/g, '"ts":"<time>"')
    .replace(/client-[0-9a-f-]+/g, 'client-<uuid>');
}

test('etcdctl 2>&1 interleaves stdout and stderr as etcdctl 3.4.23 does', async () => {
  const m = await startMember('real');
  try {
    const ep = ['--endpoints', m.endpoint];
    const dead = `127.0.0.1:${await freePort()}`;
    const warn = { ETCDCTL_BOGUS: '1' };
    // The same answer however often it runs: both etcdctls run it.
    const txn = 'value("k") = "v"\n\nput k v\n\nput k v\n\n';
    const cases: { args: string[]; env?: NodeJS.ProcessEnv; input?: string }[] = [
      // stderr first: the unknown topic, then the usage on stdout.
      { args: ['help', 'bogus'] },
      // cobra's error, the usage, then etcdctl's own error.
      { args: [...ep, 'get', 'k', '--bogus'] },
      { args: [...ep, 'put', 'k', 'v'], env: warn },
      { args: [...ep, 'get', 'k'], env: warn },
      // The client (and its warnings) comes before the first prompt.
      { args: [...ep, 'txn', '-i'], env: warn, input: txn },
      // A bad -w is refused before any prompt.
      { args: [...ep, '-w', 'bogus', 'txn', '-i'], input: txn },
      // stty's two complaints come between the prompt and its newline.
      { args: [...ep, 'user', 'add', 'u'] },
      { args: ['--endpoints', `${m.endpoint},${dead}`, 'endpoint', 'hash'] },
      { args: ['--endpoints', `${dead},${m.endpoint}`, 'endpoint', 'status'] },
      // The warning before what the command run under the lock prints.
      { args: [...ep, 'lock', 'l', 'sh', '-c', 'echo ran'], env: warn },
    ];
    for (const c of cases) {
      const real = masked(merged('real', c.args, c.env, c.input));
      const ours = masked(merged('ours', c.args, c.env, c.input));
      assert.equal(ours, real, `etcdctl ${c.args.join(' ')}`);
    }
  } finally {
    await stopMember(m);
    removeDir(dirname(m.dataDir));
  }
});
