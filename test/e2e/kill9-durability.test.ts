// kill -9 at an arbitrary instant loses no acknowledged write: writers keep putting
// through the JSON gateway, the member is SIGKILLed mid-stream, restarted on the same
// data dir, and every acknowledged key must be there with its value. Repeated over
// several cycles on the same data dir so that restart-after-crash is crashed again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUR_ETCD, removeDir, startMember, stopMember, tempDir, freePort } from '../helpers/processes.js';

const WRITERS = 16;
const CYCLES = 3;
/** Kill once this many puts were acknowledged in the cycle (so the kill lands mid-load). */
const ACKS_BEFORE_KILL = 300;

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function put(url: string, key: string, value: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: b64(key), value: b64(value) }) });
    return res.status === 200;
  } catch {
    return false;
  }
}

async function get(url: string, key: string): Promise<string | undefined> {
  const res = await fetch(`${url}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: b64(key) }) });
  const body = (await res.json()) as { kvs?: { value?: string }[] };
  const v = body.kvs?.[0]?.value;
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString();
}

test('kill -9 under concurrent writes loses no acknowledged put', async () => {
  const root = tempDir('kill9-');
  const dataDir = `${root}/data`;
  const clientPort = await freePort();
  const peerPort = await freePort();
  const acked = new Map<string, string>();
  try {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const m = await startMember('ours', { dataDir, clientPort, peerPort });
      let ackedThisCycle = 0;
      let killed = false;
      const killedPromise = new Promise<void>((resolve) => {
        const writer = async (w: number): Promise<void> => {
          for (let i = 0; !killed; i++) {
            const key = `c${cycle}/w${w}/k${i}`;
            const value = `v${cycle}-${w}-${i}`;
            if (await put(m.clientUrl, key, value)) {
              acked.set(key, value);
              if (++ackedThisCycle === ACKS_BEFORE_KILL && !killed) {
                killed = true;
                m.proc.kill('SIGKILL');
                resolve();
              }
            }
          }
        };
        for (let w = 0; w < WRITERS; w++) void writer(w);
      });
      await killedPromise;
      await new Promise<void>((r) => (m.proc.exitCode !== null || m.proc.signalCode !== null ? r() : m.proc.once('exit', () => r())));
    }
    const m = await startMember('ours', { dataDir, clientPort, peerPort });
    try {
      let missing = 0;
      for (const [k, v] of acked) {
        const got = await get(m.clientUrl, k);
        if (got !== v) missing++;
      }
      assert.ok(acked.size >= CYCLES * ACKS_BEFORE_KILL);
      assert.equal(missing, 0, `${missing} of ${acked.size} acknowledged puts lost`);
    } finally {
      await stopMember(m);
    }
  } finally {
    removeDir(root);
  }
});

test('a WAL damaged before its tail stops the member with wal: crc mismatch, naming file and offset', async () => {
  const root = tempDir('walcorrupt-');
  const dataDir = `${root}/data`;
  try {
    const m = await startMember('ours', { dataDir });
    for (let i = 0; i < 20; i++) assert.ok(await put(m.clientUrl, `k${i}`, `v${i}`));
    await stopMember(m, 'SIGKILL');
    const walDir = join(dataDir, 'member', 'wal');
    const seg = join(walDir, readdirSync(walDir).find((n) => n.endsWith('.wal'))!);
    const bytes = readFileSync(seg);
    bytes[300] = bytes[300]! ^ 0xff; // inside an early entry, far from the tail
    writeFileSync(seg, bytes);
    const r = spawnSync(process.execPath, [OUR_ETCD, ...m.args], { encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /wal: crc mismatch: .* in .*0000000000000000-0000000000000000\.wal at offset \d+/);
  } finally {
    removeDir(root);
  }
});
