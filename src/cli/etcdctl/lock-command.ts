// etcdctl lock <name> [command args...]: takes the named lock as etcdctl 3.4 does, with the
// client-side mutex over a session lease of --ttl seconds. Without a command it prints
// the lock key (as `get` would print it) and holds the lock until SIGINT/SIGTERM, then
// releases it. With a command it runs it holding the lock, with ETCD_LOCK_KEY and
// ETCD_LOCK_REV in its environment, and releases the lock when it exits.

import { spawn } from 'node:child_process';
import { ClientError } from '../../client/errors.js';
import { RangeRequest } from '../../gen/etcdserverpb/rpc.js';
import { ClientSession } from '../../concurrency/client-session.js';
import { clientKv } from '../../concurrency/client-kv.js';
import { acquireLock, releaseLock } from '../../concurrency/mutex.js';
import { CtlError, ExitCode } from './errors.js';
import { immediatePrinter, Interrupt } from './interrupt.js';
import type { Session } from './session.js';
import { byteStringBytes } from '../../pkg/byte-string.js';
import { goExecError } from '../../pkg/go-os-errors.js';

export async function lockCommand(s: Session): Promise<number> {
  if (s.args.length === 0) throw new CtlError('lock takes a lock name argument and an optional command to execute', ExitCode.BadArgs);
  const [name, ...command] = s.args as [string, ...string[]];
  const printer = immediatePrinter(s);
  const c = await s.client();
  const interrupt = new Interrupt();
  let session: ClientSession | undefined;
  try {
    session = await s.call(() => ClientSession.open(c, Number(s.flags.int('ttl'))));
    // Waiting for the lock has no deadline; each request does.
    const kv = clientKv(c);
    const held = await s.call(() => acquireLock(kv, byteStringBytes(name), session!.lease, interrupt.signal));
    const release = () => s.call(() => releaseLock(clientKv(c, s.commandTimeoutMs), held.key));
    if (command.length > 0) {
      const ran = await runCommand(command, { ETCD_LOCK_KEY: held.key.toString(), ETCD_LOCK_REV: String(held.header?.revision ?? 0n) });
      await release();
      if (ran !== undefined) throw new CtlError(ran, ExitCode.Error);
      return ExitCode.Success;
    }
    const got = await s.call(() => c.range(RangeRequest.fromPartial({ key: held.key })));
    if (got.kvs.length === 0) throw new CtlError('lock lost on init', ExitCode.Error);
    printer.get?.(got);
    const ended = await Promise.race([interrupt.received.then(() => 'signal' as const), session.expired.then(() => 'expired' as const)]);
    if (ended === 'expired') throw new CtlError('session expired', ExitCode.Error);
    await release();
    return ExitCode.Success;
  } catch (e) {
    if (e instanceof CtlError || e instanceof ClientError) throw e;
    // A failed wait ("context canceled" when interrupted) is etcdctl's plain error, exit 1.
    throw new CtlError(e instanceof Error ? e.message : String(e), ExitCode.Error);
  } finally {
    interrupt.dispose();
    session?.close();
    c.close();
  }
}

/**
 * Runs `cmd` with stdio inherited; answers undefined on success or the error as Go's
 * os/exec words it ("exit status 3", `exec: "x": executable file not found in $PATH`).
 */
export function runCommand(cmd: string[], extraEnv: Record<string, string>): Promise<string | undefined> {
  // Go's exec keeps the last value of a duplicated variable: the inherited one wins.
  const env = { ...extraEnv, ...process.env };
  return new Promise((resolve) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: 'inherit', env });
    child.on('error', (err: NodeJS.ErrnoException) => resolve(goExecError(cmd[0]!, err)));
    child.on('exit', (code, signal) => {
      if (signal) resolve(`signal: ${GO_SIGNAL_NAMES[signal] ?? signal}`);
      else resolve(code === 0 ? undefined : `exit status ${code}`);
    });
  });
}

const GO_SIGNAL_NAMES: Record<string, string> = {
  SIGINT: 'interrupt',
  SIGTERM: 'terminated',
  SIGKILL: 'killed',
  SIGHUP: 'hangup',
  SIGQUIT: 'quit',
  SIGABRT: 'aborted',
  SIGSEGV: 'segmentation fault',
  SIGPIPE: 'broken pipe',
  SIGUSR1: 'user defined signal 1',
  SIGUSR2: 'user defined signal 2',
};
