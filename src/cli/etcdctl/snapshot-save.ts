// `etcdctl snapshot save <file>`, as etcdctl 3.4 runs it: one endpoint only; the stream
// goes to <file>.part, which is fsynced and renamed into place; progress is logged on
// stderr as zap JSON lines (etcdctl's own logger stamps epoch seconds, clientv3's an ISO
// time), and "Snapshot saved at <file>" goes to stdout. Every failure after the argument
// check exits 5 (etcdctl's ExitInterrupted), as 3.4 does.

import { open, rename, rm } from 'node:fs/promises';
import { ClientError } from '../../client/client.js';
import { CtlError, ExitCode } from './errors.js';
import { humanizeBytes } from './go-format.js';
import { addressOf, type Session } from './session.js';
import { goPathError } from '../../pkg/go-os-errors.js';

/** zap's epoch-seconds time, to the microsecond as Go prints it. */
function epochSeconds(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000) / 1e6;
}

function ctlLog(s: Session, caller: string, msg: string, fields: Record<string, unknown> = {}): void {
  s.err.line(JSON.stringify({ level: 'info', ts: epochSeconds(), caller, msg, ...fields }));
}

function clientLog(s: Session, caller: string, msg: string): void {
  s.err.line(JSON.stringify({ level: 'info', ts: new Date().toISOString(), caller, msg }));
}

function errnoText(e: unknown): string {
  const path = (e as NodeJS.ErrnoException).path ?? '';
  return goPathError('open', path, e) ?? `open ${path}: ${(e as Error).message}`;
}

export async function snapshotSaveCommand(s: Session): Promise<number> {
  if (s.args.length !== 1) throw new CtlError('snapshot save expects one argument', ExitCode.BadArgs);
  const path = s.args[0]!;
  const endpoints = await s.endpoints();
  if (endpoints.length !== 1) throw new CtlError(`snapshot must be requested to one selected node, not multiple [${endpoints.join(' ')}]`, ExitCode.Interrupted);
  const partPath = `${path}.part`;
  await rm(partPath, { force: true });
  let fh;
  try {
    fh = await open(partPath, 'w', 0o600);
  } catch (e) {
    throw new CtlError(`could not open ${partPath} (${errnoText(e)})`, ExitCode.Interrupted);
  }
  ctlLog(s, 'snapshot/v3_snapshot.go:119', 'created temporary db file', { path: partPath });
  const started = performance.now();
  const c = await s.client(endpoints);
  try {
    let opened = false;
    let size = 0;
    try {
      for await (const piece of c.snapshot()) {
        if (!opened) {
          opened = true;
          clientLog(s, 'clientv3/maintenance.go:200', 'opened snapshot stream; downloading');
          ctlLog(s, 'snapshot/v3_snapshot.go:127', 'fetching snapshot', { endpoint: addressOf(endpoints[0]!) });
        }
        await fh.write(piece.blob);
        size += piece.blob.length;
      }
    } catch (e) {
      throw new CtlError(e instanceof ClientError ? e.userText : (e as Error).message, ExitCode.Interrupted);
    }
    clientLog(s, 'clientv3/maintenance.go:208', 'completed snapshot read; closing');
    await fh.sync();
    ctlLog(s, 'snapshot/v3_snapshot.go:142', 'fetched snapshot', {
      endpoint: addressOf(endpoints[0]!),
      size: humanizeBytes(size),
      took: Math.round((performance.now() - started) * 1e6) / 1e9,
    });
    await fh.close();
    fh = undefined;
    await rename(partPath, path);
    ctlLog(s, 'snapshot/v3_snapshot.go:152', 'saved', { path });
  } finally {
    await fh?.close();
    c.close();
  }
  s.out.line(`Snapshot saved at ${path}`);
  return ExitCode.Success;
}
