// Watch as operators use it: Debian's etcdctl `watch` against real etcd 3.4.23 and
// against etcd-ts, fed the same writes, must print the same; and the JSON gateway's
// streamed /v3/watch must answer with the same lines. Ids in headers differ between
// the two clusters and are masked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { etcdctl, OUR_ETCDCTL, REAL_ETCDCTL, removeDir, startMember, stopMember, type Member } from '../helpers/processes.js';

function ctl(m: Member, args: string[]): string {
  const r = etcdctl('real', ['--endpoints', m.endpoint, ...args]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const maskIds = (s: string) => s.replace(/"cluster_id":"?\d+"?/g, '"cluster_id":0').replace(/"member_id":"?\d+"?/g, '"member_id":0');

/** Runs a long-lived command until `done(stdout)` holds (or a deadline), then stops it. */
async function runUntil(cmd: string, args: string[], done: (out: string) => boolean, during?: () => void): Promise<{ stdout: string; stderr: string }> {
  const p = spawn(cmd, args, { env: { ...process.env, ETCDCTL_API: '3' } });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  during?.();
  const deadline = Date.now() + 15_000;
  while (!done(stdout) && Date.now() < deadline && p.exitCode === null) await new Promise((r) => setTimeout(r, 50));
  p.kill('SIGKILL');
  await exited;
  return { stdout, stderr };
}

/** `watcher` is the etcdctl that watches; writes always go through Debian's. */
async function history(m: Member, watcher: 'ours' | 'real' = 'real'): Promise<Record<string, string>> {
  const [bin, pre] = watcher === 'ours' ? [process.execPath, [OUR_ETCDCTL]] : [REAL_ETCDCTL, []];
  ctl(m, ['put', 'foo', 'a']);
  ctl(m, ['put', 'foo', 'b']);
  ctl(m, ['del', 'foo']);
  ctl(m, ['put', 'foo', 'c']);
  ctl(m, ['compaction', '3']);
  const out: Record<string, string> = {};
  const compacted = etcdctl(watcher, ['--endpoints', m.endpoint, 'watch', 'foo', '--rev', '2']);
  out.compacted = `${compacted.status}\n${compacted.stdout}\n${compacted.stderr.split('\n').filter((l) => l.startsWith('Error')).join('\n')}`;
  const lines = (n: number) => (s: string) => s.split('\n').length > n;
  out.replayJson = maskIds((await runUntil(bin, [...pre, '--endpoints', m.endpoint, 'watch', 'foo', '--rev', '3', '--prev-kv', '-w', 'json'], lines(1))).stdout);
  // The watch starts at the next revision, so writes made before it is established still count.
  out.live = (
    await runUntil(bin, [...pre, '--endpoints', m.endpoint, 'watch', 'fo', '--prefix', '--prev-kv', '--rev', '6'], lines(16), () => {
      ctl(m, ['put', 'foo', 'd']);
      ctl(m, ['put', 'fox', 'e']);
      assert.equal(etcdctl('real', ['--endpoints', m.endpoint, 'txn'], '\nput fop x\ndel fox\n\n\n').status, 0);
    })
  ).stdout;
  out.exec = (
    await runUntil(bin, [...pre, '--endpoints', m.endpoint, 'watch', 'foo', '--rev', '6', '--', 'sh', '-c', 'echo "$ETCD_WATCH_EVENT_TYPE $ETCD_WATCH_KEY=$ETCD_WATCH_VALUE @$ETCD_WATCH_REVISION"'], (o) => o.includes('@'))
  ).stdout;
  for (const body of [
    '{"create_request":{"key":"Zm9v","start_revision":2}}',
    '{"create_request":{"key":"Zm8=","range_end":"Zm9w","start_revision":4,"filters":["NOPUT"],"prev_kv":true}}',
    '{"progress_request":{}}',
    '{"create_request":{"key":"Zm9v","start_revision":6}}{"cancel_request":{"watch_id":"0"}}{"cancel_request":{"watch_id":"7"}}',
  ]) {
    const res = await fetch(`${m.clientUrl}/v3/watch`, { method: 'POST', body, signal: AbortSignal.timeout(1500) });
    let text = '';
    const reader = res.body!.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
      }
    } catch {
      // the stream stays open: the timeout ends it
    }
    out[`gateway ${body}`] = `${res.status} ${res.headers.get('content-type')}\n${maskIds(text)}`;
  }
  return out;
}

test('etcdctl watch and /v3/watch see the same events from etcd-ts as from real etcd', async (t) => {
  const real = await startMember('real');
  const ours = await startMember('ours');
  t.after(async () => {
    for (const m of [real, ours]) {
      await stopMember(m);
      removeDir(m.dataDir);
    }
  });
  const theirs = await history(real);
  const mine = await history(ours);
  assert.match(theirs.live!, /^PUT\nfoo\nc\nfoo\nd\nPUT\nfox\ne\n/);
  for (const k of Object.keys(theirs)) assert.equal(mine[k], theirs[k], k);
  // And our etcdctl watching real etcd prints what Debian's does.
  const other = await startMember('real');
  t.after(async () => {
    await stopMember(other);
    removeDir(other.dataDir);
  });
  const ourCtl = await history(other, 'ours');
  for (const k of Object.keys(theirs)) assert.equal(maskIds(ourCtl[k]!), maskIds(theirs[k]!), `our etcdctl: ${k}`);
});
