// lease grant | revoke | timetolive | list | keep-alive, run as etcdctl 3.4 runs them:
// argument errors and exit codes from its lease command, ids in hexadecimal, and
// keep-alive's responses printed as they arrive.

import { writeSync } from 'node:fs';
import { ClientError, type Client } from '../../client/client.js';
import type { LeaseKeepAliveResponse } from '../../gen/etcdserverpb/rpc.js';
import { CtlError, ExitCode } from './errors.js';
import { parseGoInt } from './flags.js';
import { leaseHex, printLease, type LeaseView } from './lease-printers.js';
import { ImmediateOutput, Output } from './output.js';
import type { OutputFormat, PrinterIO } from './printer.js';
import type { Session } from './session.js';

function leaseFromArg(arg: string): bigint {
  const id = parseGoInt(arg, false, 16);
  if (typeof id === 'string') throw new CtlError(`bad lease ID arg (${id}), expecting ID in Hex`, ExitCode.BadArgs);
  return id;
}

function io(s: Session, out: Output = s.out): PrinterIO {
  return { out, err: s.err, hex: s.flags.bool('hex') };
}

/** The format after -w was validated (an unknown one fails before any request, as in etcdctl). */
function format(s: Session): OutputFormat {
  return s.printer().format;
}

async function withClient<T>(s: Session, fn: (c: Client) => Promise<T>, onError?: (e: unknown) => never): Promise<T> {
  const c = await s.client();
  try {
    return await s.call(() => fn(c));
  } catch (e) {
    if (onError) onError(e);
    throw e;
  } finally {
    c.close();
  }
}

const reason = (e: unknown): string => (e instanceof ClientError ? e.userText : e instanceof Error ? e.message : String(e));

export async function leaseGrantCommand(s: Session): Promise<number> {
  if (s.args.length !== 1) throw new CtlError('lease grant command needs TTL argument', ExitCode.BadArgs);
  const ttl = parseGoInt(s.args[0]!, false, 10);
  if (typeof ttl === 'string') throw new CtlError(`bad TTL (${ttl})`, ExitCode.BadArgs);
  const f = format(s);
  const r = await withClient(s, (c) => c.leaseGrant(ttl, 0n, { timeoutMs: s.commandTimeoutMs }), (e) => {
    throw new CtlError(`failed to grant lease (${reason(e)})`, ExitCode.Error);
  });
  printLease(f, io(s), { kind: 'grant', r });
  return ExitCode.Success;
}

export async function leaseRevokeCommand(s: Session): Promise<number> {
  if (s.args.length !== 1) throw new CtlError('lease revoke command needs 1 argument', ExitCode.BadArgs);
  const id = leaseFromArg(s.args[0]!);
  const f = format(s);
  const r = await withClient(s, (c) => c.leaseRevoke(id, { timeoutMs: s.commandTimeoutMs }), (e) => {
    throw new CtlError(`failed to revoke lease (${reason(e)})`, ExitCode.Error);
  });
  printLease(f, io(s), { kind: 'revoke', id, r });
  return ExitCode.Success;
}

const badConnection = (e: unknown): never => {
  throw new CtlError(reason(e), ExitCode.BadConnection);
};

export async function leaseTimeToLiveCommand(s: Session): Promise<number> {
  if (s.args.length !== 1) throw new CtlError('lease timetolive command needs lease ID as argument', ExitCode.BadArgs);
  const id = leaseFromArg(s.args[0]!);
  const keys = s.flags.bool('keys');
  const f = format(s);
  // etcdctl gives time-to-live and list no deadline (context.TODO()).
  const r = await withClient(s, (c) => c.leaseTimeToLive(id, keys, { timeoutMs: 0 }), badConnection);
  printLease(f, io(s), { kind: 'timetolive', r, keys });
  return ExitCode.Success;
}

export async function leaseListCommand(s: Session): Promise<number> {
  const f = format(s);
  const r = await withClient(s, (c) => c.leaseLeases({ timeoutMs: 0 }), badConnection);
  printLease(f, io(s), { kind: 'list', r });
  return ExitCode.Success;
}


export async function leaseKeepAliveCommand(s: Session): Promise<number> {
  if (s.args.length !== 1) throw new CtlError('lease keep-alive command needs lease ID as argument', ExitCode.BadArgs);
  const id = leaseFromArg(s.args[0]!);
  const f = format(s);
  const c = await s.client();
  try {
    if (s.flags.bool('once')) {
      let r: LeaseKeepAliveResponse;
      try {
        r = await c.leaseKeepAliveOnce(id, { timeoutMs: s.commandTimeoutMs });
      } catch (e) {
        return badConnection(e);
      }
      // clientv3's KeepAliveOnce turns a TTL of 0 (the lease is gone) into ErrLeaseNotFound.
      if (r.TTL <= 0n) throw new CtlError('etcdserver: requested lease not found', ExitCode.BadConnection);
      printLease(f, io(s), { kind: 'keepalive', r });
      return ExitCode.Success;
    }
    // What was printed so far (ETCDCTL_* warnings) goes before anything written at once.
    s.err.flushPrinted();
    const out = io(s, new ImmediateOutput());
    let failure: unknown;
    const ka = c.leaseKeepAlive(id, (r) => {
      if (r.TTL <= 0n) return;
      try {
        printLease(f, out, { kind: 'keepalive', r });
      } catch (e) {
        failure = e;
        ka.stop();
      }
    });
    await ka.done;
    if (failure !== undefined) throw failure;
    if (f === 'simple') s.out.line(`lease ${leaseHex(id)} expired or revoked.`);
    return ExitCode.Success;
  } finally {
    c.close();
  }
}

export type { LeaseView };
