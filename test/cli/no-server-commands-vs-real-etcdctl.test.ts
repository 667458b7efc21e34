// Commands that talk to no server (version, help, usage errors) work with nothing listening
// on the endpoints and print what etcdctl 3.4.23 prints, byte for byte, with its exit code.
// (They are also the commands operators run most in loops, and they load no client code.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { freePort, OUR_ETCDCTL, REAL_ETCDCTL } from './harness.js';

function run(bin: string, args: string[]): { stdout: string; stderr: string; exit: number | null } {
  const r = spawnSync(bin, args, { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000 });
  return { stdout: r.stdout, stderr: r.stderr, exit: r.status };
}

test('version, help and usage errors need no server and match etcdctl 3.4.23', async () => {
  const dead = `127.0.0.1:${await freePort()}`;
  const cases = [
    ['version'],
    ['--endpoints', dead, 'version'],
    ['--help'],
    ['help', 'lock'],
    ['snapshot', 'restore', '--help'],
    ['--endpoints', dead, 'get', '--no-such-flag'],
    ['--endpoints', dead, 'no-such-command'],
    ['--endpoints', dead, 'put'],
  ];
  for (const args of cases) {
    const ours = run(OUR_ETCDCTL, args);
    const real = run(REAL_ETCDCTL, args);
    assert.deepEqual(ours, real, `etcdctl ${args.join(' ')}`);
  }
  assert.equal(run(OUR_ETCDCTL, ['version']).stdout, 'etcdctl version: 3.4.23\nAPI version: 3.4\n');
});
