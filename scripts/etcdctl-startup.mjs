#!/usr/bin/env node
// etcdctl's start-up cost: runs `node bin/etcdctl <args>` from two trees (an old build and
// this one) alternately, so both meet the same machine load, and prints the median wall
// time and CPU time (user+sys, from /usr/bin/time) of each, with the load average before
// and after. A measuring tool, not a test.
//
//   node scripts/etcdctl-startup.mjs --old /path/to/old/tree [--runs 10] [--endpoints 127.0.0.1:2379]
//
// The commands measured are `version`, `--help` and, when --endpoints is given, `get foo`
// against that (running) member. A tree is any directory with bin/etcdctl and its dist/.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseFlags } from './lib/local-members.mjs';

const opt = { old: '', runs: 10, endpoints: '' };
parseFlags(opt);
if (opt.old === '') {
  console.error('usage: etcdctl-startup.mjs --old DIR [--runs N] [--endpoints HOST:PORT]');
  process.exit(2);
}
const trees = { old: resolve(opt.old), new: resolve(import.meta.dirname, '..') };
const commands = [['version'], ['--help']];
if (opt.endpoints !== '') commands.push(['--endpoints', opt.endpoints, 'get', 'foo']);

/** One run: wall and CPU seconds as /usr/bin/time measures the child. */
function once(tree, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', process.execPath, 'bin/etcdctl', ...args], { cwd: tree, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${tree}: etcdctl ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const [wall, user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall, cpu: user + sys };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x) => x.toFixed(3);

console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const args of commands) {
  const samples = { old: [], new: [] };
  for (let i = 0; i < opt.runs; i++) {
    // Alternate which tree goes first, so neither always follows the other's page-cache warm-up.
    const order = i % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
    for (const t of order) samples[t].push(once(trees[t], args));
  }
  const row = (t) => `wall ${fmt(median(samples[t].map((s) => s.wall)))} s, cpu ${fmt(median(samples[t].map((s) => s.cpu)))} s`;
  console.log(`etcdctl ${args.join(' ')} (median of ${opt.runs}): old ${row('old')} | new ${row('new')}`);
}
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
