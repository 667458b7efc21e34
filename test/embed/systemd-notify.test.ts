// Type=notify units (the operators' etcd.service files) need READY=1 on $NOTIFY_SOCKET
// once the member serves clients; without it systemd kills the member at its timeout.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { notifySystemdReady } from '../../src/embed/systemd-notify.js';
import { removeDir, startMember, stopMember, tempDir } from '../helpers/processes.js';

interface Receiver {
  bind(path: string): void;
  close(): void;
}
const unixDgram = createRequire(import.meta.url)('unix-dgram') as {
  createSocket(type: 'unix_dgram', onMessage: (buf: Buffer) => void): Receiver;
};

function recordingLog() {
  const lines: string[] = [];
  return {
    lines,
    info: (msg: string) => lines.push(`info ${msg}`),
    error: (msg: string, fields?: Record<string, unknown>) => lines.push(`error ${msg} ${JSON.stringify(fields)}`),
  };
}

test('a started member sends READY=1 to $NOTIFY_SOCKET and is serving by then', async (t) => {
  const dir = tempDir('etcd-notify-');
  const path = join(dir, 'notify.sock');
  const messages: string[] = [];
  let onMessage: () => void = () => undefined;
  const received = new Promise<void>((resolve) => (onMessage = resolve));
  const receiver = unixDgram.createSocket('unix_dgram', (buf) => {
    messages.push(buf.toString());
    onMessage();
  });
  receiver.bind(path);
  const m = await startMember('ours', { env: { NOTIFY_SOCKET: path } });
  t.after(async () => {
    await stopMember(m);
    receiver.close();
    removeDir(m.dataDir);
    removeDir(dir);
  });
  await received;
  assert.deepEqual(messages, ['READY=1']);
  const health = await fetch(`${m.clientUrl}/health`);
  assert.equal(health.status, 200);
  assert.match(m.stderr(), /"msg":"notifying init daemon"[^\n]*\n[^\n]*"msg":"successfully notified init daemon"/);
});

test('without $NOTIFY_SOCKET nothing is sent and start-up goes on, as sd_notify does', async () => {
  const log = recordingLog();
  await notifySystemdReady(log, {});
  assert.deepEqual(log.lines, ['info notifying init daemon', 'info successfully notified init daemon']);
});

test('an unreachable notify socket is logged as an error, not a crash', async () => {
  const log = recordingLog();
  await notifySystemdReady(log, { NOTIFY_SOCKET: join(tempDir('etcd-notify-missing-'), 'absent.sock') });
  assert.equal(log.lines.length, 2);
  assert.equal(log.lines[0], 'info notifying init daemon');
  assert.match(log.lines[1]!, /^error failed to notify systemd for readiness \{"error":"dial unixgram .*absent\.sock: connect: no such file or directory"\}$/);
});
