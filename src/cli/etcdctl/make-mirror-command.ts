// etcdctl make-mirror <destination>: copies the source's keys (or those under --prefix)
// as they stand at one revision, then follows the source's watch from the next revision
// and applies each revision's events to the destination in one txn. Every 30 seconds it
// prints how many keys it has mirrored so far, as etcdctl 3.4 does; it runs until
// interrupted, or until an error (a compacted revision, a failed write) stops it.

import type { Event } from '../../gen/mvccpb/kv.js';
import { Event_EventType } from '../../gen/mvccpb/kv.js';
import type { RequestOp, WatchResponse } from '../../gen/etcdserverpb/rpc.js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Client, ClientError } from '../../client/client.js';
import type { TlsFiles } from '../../client/connection.js';
import { CtlError, ExitCode } from './errors.js';
import { prefixEnd } from './kv-commands.js';
import { ImmediateOutput } from './output.js';
import type { Session } from './session.js';
import { byteStringBytes } from '../../pkg/byte-string.js';
import { keepAliveFlags } from './global-flags.js';
import { checkTlsFiles } from './tls-files-check.js';

/** How often the running count is printed (etcdctl's fixed 30 s). */
export const PROGRESS_INTERVAL_MS = 30_000;
/** Keys per range request while copying the base revision (clientv3/mirror's batch). */
export const SYNC_BATCH_LIMIT = 1000;

const COMPACTED = 'etcdserver: mvcc: required revision has been compacted';
/** Pause before asking an unreachable cluster again. */
const UNREACHABLE_RETRY_MS = 500;

/**
 * Runs a call until it reaches the cluster: etcdctl's client waits for a connection
 * without a deadline, so an unreachable source or destination makes make-mirror wait,
 * not fail. Errors from a server that answered end the mirror as before.
 */
async function whenReachable<T>(call: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (e) {
      const unreachable = e instanceof ClientError && e.code === GrpcStatus.UNAVAILABLE && /No connection established|no available endpoints/.test(e.message);
      if (!unreachable) throw e;
      await new Promise((r) => setTimeout(r, UNREACHABLE_RETRY_MS));
    }
  }
}

/** Go's strings.Replace(s, old, new, 1) on bytes: an empty `old` inserts `new` in front. */
export function replaceFirst(key: Uint8Array, from: Buffer, to: Buffer): Buffer {
  const k = Buffer.from(key);
  const at = k.indexOf(from);
  if (at < 0) return k;
  return Buffer.concat([k.subarray(0, at), to, k.subarray(at + from.length)]);
}

/**
 * The txns that apply a watch response's events: events of one revision go together,
 * in order, so the destination passes through the same states as the source.
 */
export function txnsForEvents(events: Event[], rename: (k: Uint8Array) => Buffer): RequestOp[][] {
  const txns: RequestOp[][] = [];
  let ops: RequestOp[] = [];
  let lastRev = 0n;
  for (const e of events) {
    const rev = e.kv!.modRevision;
    if (lastRev !== 0n && rev > lastRev) {
      txns.push(ops);
      ops = [];
    }
    lastRev = rev;
    const key = rename(e.kv!.key);
    if (e.type === Event_EventType.DELETE) ops.push({ requestDeleteRange: { key, rangeEnd: Buffer.alloc(0), prevKv: false } } as RequestOp);
    else ops.push({ requestPut: { key, value: Buffer.from(e.kv!.value), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false } } as RequestOp);
  }
  if (ops.length > 0) txns.push(ops);
  return txns;
}

function destinationClient(s: Session, endpoint: string): Client {
  const f = s.flags;
  const cert = f.string('dest-cert');
  const key = f.string('dest-key');
  const cacert = f.string('dest-cacert');
  checkTlsFiles({ cert, key, cacert });
  const file = (p: string) => (p === '' ? undefined : p);
  const secure = cert !== '' || key !== '' || cacert !== '' || !f.bool('dest-insecure-transport');
  const tls: TlsFiles | undefined = secure ? { caFile: file(cacert), certFile: file(cert), keyFile: file(key) } : undefined;
  const dialed = tls && !/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint.trim()) ? `https://${endpoint}` : endpoint;
  // No user: etcdctl dials the destination without credentials.
  return new Client({ endpoints: [dialed], dialTimeoutMs: f.durationMs('dial-timeout'), commandTimeoutMs: 0, keepAlive: keepAliveFlags(f), ...(tls ? { tls } : {}) });
}

export async function makeMirrorCommand(s: Session): Promise<number> {
  if (s.args.length !== 1) throw new CtlError('make-mirror takes one destination argument', ExitCode.BadArgs);
  const dest = destinationClient(s, s.args[0]!);
  const src = await s.client();
  s.err.flushTo(2);
  const out = new ImmediateOutput();
  let total = 0;
  const ticker = setInterval(() => out.line(String(total)), PROGRESS_INTERVAL_MS);
  try {
    const prefix = byteStringBytes(s.flags.string('prefix'));
    // The revision to copy at: the source's current one, learnt from any read.
    const rev = (await whenReachable(() => src.range({ key: Buffer.from('foo') }, { timeoutMs: 0 }))).header!.revision;
    const noDestPrefix = s.flags.bool('no-dest-prefix');
    let destPrefix = byteStringBytes(s.flags.string('dest-prefix'));
    if (noDestPrefix && destPrefix.length > 0) throw new CtlError('`--dest-prefix` and `--no-dest-prefix` cannot be set at the same time, choose one', ExitCode.BadArgs);
    if (!noDestPrefix && destPrefix.length === 0) destPrefix = prefix;
    const rename = (k: Uint8Array) => replaceFirst(k, prefix, destPrefix);
    // Without a prefix, everything from the smallest key on.
    const rangeEnd = prefix.length === 0 ? Buffer.from([0]) : prefixEnd(prefix);
    let from = prefix.length === 0 ? Buffer.from([0]) : prefix;
    for (;;) {
      const r = await whenReachable(() => src.range({ key: from, rangeEnd, revision: rev, limit: SYNC_BATCH_LIMIT }, { timeoutMs: 0 }));
      for (const kv of r.kvs) {
        await whenReachable(() => dest.put({ key: rename(kv.key), value: kv.value }, { timeoutMs: 0 }));
        total++;
      }
      if (!r.more || r.kvs.length === 0) break;
      from = Buffer.concat([Buffer.from(r.kvs[r.kvs.length - 1]!.key), Buffer.from([0])]);
    }
    const ended = await followUpdates(src, dest, prefix, rev + 1n, rename, () => total++);
    // etcdctl exits with whatever the loop ended with; a watch the server closed is a nil error.
    throw new CtlError(ended ?? '<nil>', ExitCode.Error);
  } finally {
    clearInterval(ticker);
    src.close();
    dest.close();
  }
}

/**
 * Watches [prefix, prefixEnd) from `startRev` and applies the events in arrival order.
 * Resolves with the error text that ended it (undefined when the server closed the watch).
 */
function followUpdates(src: Client, dest: Client, prefix: Buffer, startRev: bigint, rename: (k: Uint8Array) => Buffer, counted: () => void): Promise<string | undefined> {
  const stream = src.watchStream();
  const queue: WatchResponse[] = [];
  let draining = false;
  return new Promise<string | undefined>((resolve) => {
    const finish = (why: string | undefined) => {
      stream.close();
      resolve(why);
    };
    const drain = async () => {
      if (draining) return;
      draining = true;
      try {
        for (let r = queue.shift(); r !== undefined; r = queue.shift()) {
          if (r.compactRevision !== 0n) return finish(COMPACTED);
          if (r.canceled) return finish(r.cancelReason !== '' ? r.cancelReason : undefined);
          for (const e of r.events) counted();
          for (const ops of txnsForEvents(r.events, rename)) await whenReachable(() => dest.txn({ success: ops }, { timeoutMs: 0 }));
        }
      } catch (e) {
        return finish(e instanceof ClientError ? e.userText : (e as Error).message);
      } finally {
        draining = false;
      }
    };
    stream
      .watch({ key: prefix, rangeEnd: prefixEnd(prefix), startRevision: startRev }, (r) => {
        queue.push(r);
        void drain();
      })
      .catch((e: unknown) => finish(e instanceof ClientError ? e.userText : (e as Error).message));
  });
}
