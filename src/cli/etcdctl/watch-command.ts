// etcdctl watch: key or range (--prefix, range_end), --rev, --prev-kv, and the exec form
// `watch key -- command args` that runs the command once per event with ETCD_WATCH_*
// in its environment. Runs until interrupted or until the server cancels the watch.

import { spawnSync } from 'node:child_process';
import { Event_EventType, Event as EventCodec, type Event } from '../../gen/mvccpb/kv.js';
import { ResponseHeader, type WatchResponse } from '../../gen/etcdserverpb/rpc.js';
import { CtlError, ExitCode } from './errors.js';
import { flag } from './flags.js';
import { hexBytes } from './go-format.js';
import { prefixEnd } from './kv-commands.js';
import { ImmediateOutput } from './output.js';
import { goJson } from './printer-json.js';
import type { Session } from './session.js';

export const WATCH_FLAGS = [
  flag('interactive', 'bool', 'false', 'Interactive mode', 'i'),
  flag('prefix', 'bool', 'false', 'Watch on a prefix if prefix is set'),
  flag('prev-kv', 'bool', 'false', 'get the previous key-value pair before the event happens'),
  flag('rev', 'int', '0', 'Revision to start watching'),
];

const TYPE_NAME: Record<number, string> = { [Event_EventType.PUT]: 'PUT', [Event_EventType.DELETE]: 'DELETE' };

/** Splits `key [range_end] [-- command args]` the way etcdctl 3.4 does. */
function parseArgs(s: Session): { key: string; rangeEnd?: string; exec: string[] } {
  const args = s.args;
  const dash = s.argsAtDash ?? -1;
  const before = dash >= 0 ? args.slice(0, dash) : args;
  const exec = dash >= 0 ? args.slice(dash) : [];
  if (before.length === 0 || before.length > 2) throw new CtlError('bad number of arguments', ExitCode.BadArgs);
  if (dash >= 0 && exec.length === 0) throw new CtlError('bad number of arguments', ExitCode.BadArgs);
  return { key: before[0]!, ...(before.length === 2 ? { rangeEnd: before[1]! } : {}), exec };
}

export async function watchCommand(s: Session): Promise<number> {
  if (s.flags.bool('interactive')) throw new CtlError('watch -i (interactive) is not supported by this etcdctl yet', ExitCode.BadFeature);
  const { key, rangeEnd, exec } = parseArgs(s);
  const format = s.printer().format;
  if (format !== 'simple' && format !== 'json') throw new CtlError(`watch does not support -w ${format} in this etcdctl yet`, ExitCode.BadFeature);
  const prefix = s.flags.bool('prefix');
  if (prefix && rangeEnd !== undefined) throw new CtlError('`range_end` and `--prefix` are mutually exclusive', ExitCode.BadArgs);
  const keyBytes = Buffer.from(key);
  const end = prefix ? prefixEnd(keyBytes) : rangeEnd !== undefined ? Buffer.from(rangeEnd) : Buffer.alloc(0);
  const out = new ImmediateOutput();
  const hex = s.flags.bool('hex');
  const bytes = (b: Uint8Array) => (hex ? hexBytes(b) : b);
  const c = await s.client();
  const stream = c.watchStream();
  try {
    const ended = await new Promise<string>((resolve, reject) => {
      stream
        .watch(
          { key: keyBytes, rangeEnd: end, startRevision: BigInt(s.flags.int('rev')), prevKv: s.flags.bool('prev-kv') },
          (r: WatchResponse) => {
            if (r.canceled) {
              resolve(r.cancelReason !== '' ? r.cancelReason : r.compactRevision > 0n ? 'etcdserver: mvcc: required revision has been compacted' : '');
              return;
            }
            if (r.created || r.events.length === 0) return;
            if (format === 'json') {
              out.line(
                `{"Header":${goJson(ResponseHeader, r.header!)},"Events":[${r.events.map((e) => goJson(EventCodec, e)).join(',')}],"CompactRevision":${r.compactRevision},"Canceled":${r.canceled},"Created":${r.created}}`,
              );
            } else {
              for (const e of r.events) printEvent(out, e, bytes);
            }
            // With a command, etcdctl prints each event and then runs the command for it.
            if (exec.length > 0) for (const e of r.events) runExec(exec, e, r);
          },
        )
        .catch(reject);
    });
    s.err.line(`watch was canceled (${ended})`);
    throw new CtlError('watch is canceled by the server', ExitCode.Interrupted);
  } finally {
    stream.close();
    c.close();
  }
}

function printEvent(out: ImmediateOutput, e: Event, bytes: (b: Uint8Array) => string | Uint8Array): void {
  out.line(TYPE_NAME[e.type] ?? String(e.type));
  if (e.prevKv) {
    out.line(bytes(e.prevKv.key));
    out.line(bytes(e.prevKv.value));
  }
  out.line(bytes(e.kv!.key));
  out.line(bytes(e.kv!.value));
}

function runExec(cmd: string[], e: Event, r: WatchResponse): void {
  spawnSync(cmd[0]!, cmd.slice(1), {
    stdio: 'inherit',
    env: {
      ...process.env,
      ETCD_WATCH_REVISION: String(r.header?.revision ?? 0n),
      // etcdctl 3.4 sets these with Go's %q: quoted.
      ETCD_WATCH_EVENT_TYPE: JSON.stringify(TYPE_NAME[e.type] ?? String(e.type)),
      ETCD_WATCH_KEY: JSON.stringify(Buffer.from(e.kv!.key).toString()),
      ETCD_WATCH_VALUE: JSON.stringify(Buffer.from(e.kv!.value).toString()),
    },
  });
}
