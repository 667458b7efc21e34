import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, etcdctl, removeDir, startMember, stopMember } from '../helpers/processes.js';

function runBenchmark(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'benchmark'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('bin/benchmark put --total 50 against etcd-ts prints a complete report with no errors', async () => {
  const m = await startMember('ours');
  try {
    const out = await runBenchmark(['--endpoints', m.endpoint, '--conns', '2', '--clients', '4', 'put', '--total', '50']);
    assert.equal(out.code, 0, out.stderr);
    for (const label of ['Total', 'Slowest', 'Fastest', 'Average', 'Stddev']) {
      assert.match(out.stdout, new RegExp(`\\n  ${label}:\\t\\d+\\.\\d{4} secs\\.\\n`));
    }
    assert.match(out.stdout, /\n  Requests\/sec:\t\d+\.\d{4}\n/);
    assert.match(out.stdout, /\nResponse time histogram:\n(  \d+\.\d{4} \[\d+\]\t\|∎*\n){11}/);
    const counts = [...out.stdout.matchAll(/ \[(\d+)\]\t\|/g)].map((x) => Number(x[1]));
    assert.equal(counts.reduce((a, b) => a + b, 0), 50);
    // With 50 samples etcd's rule reaches ranks up to 98%, so 99% and 99.9% are not printed.
    assert.match(out.stdout, /\nLatency distribution:\n  10% in [\d.]+ secs\.\n  25% in [\d.]+ secs\.\n  50% in [\d.]+ secs\.\n  75% in [\d.]+ secs\.\n  90% in [\d.]+ secs\.\n  95% in [\d.]+ secs\.\n/);
    assert.doesNotMatch(out.stdout, /Error distribution/);
  } finally {
    await stopMember(m);
    removeDir(join(m.dataDir, '..'));
  }
});

test('put --sequential-keys writes each key of the key space once, however the clients are split over workers', async () => {
  const m = await startMember('ours');
  try {
    const out = await runBenchmark(['--endpoints', m.endpoint, '--conns', '4', '--clients', '8', 'put', '--total', '300', '--key-space-size', '300', '--sequential-keys']);
    assert.equal(out.code, 0, out.stderr);
    // 300 puts over 300 keys: every key exactly once (version 1), none written twice.
    const r = etcdctl('ours', ['--endpoints', m.endpoint, 'get', '', '--from-key', '-w', 'json']);
    const kvs = (JSON.parse(r.stdout) as { kvs: { version: number }[]; count: number }).kvs;
    assert.equal(kvs.length, 300);
    assert.ok(kvs.every((kv) => kv.version === 1));
  } finally {
    await stopMember(m);
    removeDir(join(m.dataDir, '..'));
  }
});
