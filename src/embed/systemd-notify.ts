// Tells systemd the member is ready (sd_notify "READY=1"), as etcd does once it serves
// clients: units written for etcd use Type=notify, and without the message systemd
// would kill the member when its start timeout runs out.
//
// The message is a datagram on the unix socket named by $NOTIFY_SOCKET. Node has no
// unix datagram sockets, so the optional `unix-dgram` addon sends it; if the addon could
// not be built, start-up goes on and the failure is logged as etcd logs its own.

import { createRequire } from 'node:module';
import { getSystemErrorName } from 'node:util';
import { goErrnoText } from '../pkg/go-os-errors.js';

interface UnixDgramSocket {
  on(event: 'error', listener: (err: Error) => void): void;
  send(buf: Buffer, offset: number, length: number, path: string, callback: (err?: Error) => void): void;
  close(): void;
}

interface UnixDgramModule {
  createSocket(type: 'unix_dgram'): UnixDgramSocket;
}

export interface NotifyLogger {
  info(msg: string): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

function loadUnixDgram(): UnixDgramModule {
  return createRequire(import.meta.url)('unix-dgram') as UnixDgramModule;
}

/** Sends READY=1 when $NOTIFY_SOCKET is set; does nothing else otherwise (like sd_notify). */
export async function notifySystemdReady(log: NotifyLogger, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  log.info('notifying init daemon');
  const target = env.NOTIFY_SOCKET;
  if (target !== undefined && target !== '') {
    try {
      await sendDatagram(target, Buffer.from('READY=1'));
    } catch (err) {
      log.error('failed to notify systemd for readiness', { error: err instanceof Error ? err.message : String(err) });
      return;
    }
  }
  log.info('successfully notified init daemon');
}

function describeSendError(err: Error & { errno?: number }, path: string): Error {
  const name = typeof err.errno === 'number' ? getSystemErrorName(err.errno) : '';
  // The addon reports a bare errno number: named here, then worded as Go words it.
  return new Error(`dial unixgram ${path}: connect: ${goErrnoText(name) ?? (name || err.message)}`);
}

function sendDatagram(path: string, message: Buffer): Promise<void> {
  const socket = loadUnixDgram().createSocket('unix_dgram');
  // An abstract socket ("@name") is addressed with a leading NUL byte.
  const address = path.startsWith('@') ? `\0${path.slice(1)}` : path;
  return new Promise((resolve, reject) => {
    socket.on('error', (err) => reject(describeSendError(err, path)));
    socket.send(message, 0, message.length, address, (err) => {
      socket.close();
      if (err) reject(describeSendError(err, path));
      else resolve();
    });
  });
}
