// etcdctl watch: key or range (--prefix, range_end), --rev, --prev-kv, the exec form
// `watch key -- command args` that runs the command once per event with ETCD_WATCH_*
// in its environment, and --interactive, which reads `watch ...` and `progress` lines
// from stdin and runs every watch they ask for side by side. Runs until interrupted,
// until the server cancels the (non-interactive) watch, or until stdin ends (-i).

import { spawnSync } from 'node:child_process';
import type { WatchResponse } from '../../gen/etcdserverpb/rpc.js';
import type { Event } from '../../gen/mvccpb/kv.js';
import type { WatchStream } from '../../client/client.js';
import { ClientError } from '../../client/client.js';
import { CtlError, ExitCode } from './errors.js';
import { goQuote, goQuoteText } from '../../pkg/go-quote.js';
import { prefixEnd } from './kv-commands.js';
import { ImmediateOutput, type Output } from './output.js';
import type { OutputFormat } from './printer.js';
import type { Session } from './session.js';
import { asyncStdinLines } from './stdin-async.js';
import { argify } from './txn-parse.js';
import { checkWatchEnv, parseCommandLine, parseInteractiveLine, watchRange, type WatchEnv, type WatchSpec } from './watch-args.js';
import { EVENT_TYPE_NAME, printWatchResponse } from './watch-print.js';
import { byteStringBytes } from '../../pkg/byte-string.js';
import { goExecError } from '../../pkg/go-os-errors.js';

export { WATCH_FLAGS } from './watch-args.js';

/** Ends the whole command from inside a watch (os.Exit in etcdctl): message as is, no "Error: ". */
class WatchExit extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

interface Printing {
  format: OutputFormat;
  out: Output;
  err: Output;
  hex: boolean;
}

function watchEnv(s: Session): WatchEnv {
  return { key: s.envVar('ETCDCTL_WATCH_KEY') ?? '', rangeEnd: s.envVar('ETCDCTL_WATCH_RANGE_END') ?? '' };
}

export async function watchCommand(s: Session): Promise<number> {
  const env = watchEnv(s);
  checkWatchEnv(env);
  if (s.flags.bool('interactive')) return interactiveWatch(s, env);
  const { words, exec } = parseCommandLine(s.args, s.argsAtDash ?? -1, env);
  const spec: WatchSpec = { words, exec, prefix: s.flags.bool('prefix'), prevKv: s.flags.bool('prev-kv'), rev: s.flags.int('rev') };
  const range = watchRange(spec);
  const p = printing(s);
  const c = await s.client();
  s.err.flushTo(2);
  const stream = c.watchStream();
  try {
    await new Promise<void>((resolve, reject) => {
      startWatch(stream, range, spec, p, resolve, reject).catch(reject);
    });
    throw new CtlError('watch is canceled by the server', ExitCode.Interrupted);
  } catch (e) {
    return exitFrom(s, e);
  } finally {
    stream.close();
    c.close();
  }
}

/** Events go out as they come, and so do the lines on stderr about them. */
function printing(s: Session): Printing {
  return { format: s.printer().format, out: new ImmediateOutput(1), err: new ImmediateOutput(2), hex: s.flags.bool('hex') };
}

function exitFrom(s: Session, e: unknown): number {
  if (!(e instanceof WatchExit)) throw e;
  s.err.line(e.message);
  return e.code;
}

/** Starts one watch; `ended` runs when the server cancels it, `failed` when printing or a command fails. */
function startWatch(stream: WatchStream, range: { key: string; rangeEnd?: string }, spec: WatchSpec, p: Printing, ended: () => void, failed: (e: unknown) => void): Promise<unknown> {
  const key = byteStringBytes(range.key);
  const rangeEnd = spec.prefix ? prefixEnd(key) : range.rangeEnd !== undefined ? byteStringBytes(range.rangeEnd) : Buffer.alloc(0);
  return stream.watch({ key, rangeEnd, startRevision: spec.rev, prevKv: spec.prevKv }, (r: WatchResponse) => {
    try {
      onResponse(r, spec.exec, p);
    } catch (e) {
      failed(e);
      return;
    }
    if (r.canceled) ended();
  });
}

/** etcdctl's printWatchCh for one response. Created responses never reach it (clientv3 keeps them). */
function onResponse(r: WatchResponse, exec: string[], p: Printing): void {
  if (r.created) return;
  const progress = !r.canceled && r.events.length === 0 && r.compactRevision === 0n;
  if (r.canceled) p.err.line(`watch was canceled (${cancelText(r)})`);
  if (progress) p.out.line(`progress notify: ${r.header?.revision ?? 0n}`);
  printWatchResponse(p.format, p.out, r, p.hex);
  if (exec.length > 0) for (const e of r.events) runExec(exec, e, r);
}

function cancelText(r: WatchResponse): string {
  if (r.compactRevision > 0n) return 'etcdserver: mvcc: required revision has been compacted';
  return r.cancelReason !== '' ? r.cancelReason : '<nil>';
}

/** Runs the command for one event; a failure ends etcdctl with exit code 1, as os.Exit(1) does. */
function runExec(cmd: string[], e: Event, r: WatchResponse): void {
  const res = spawnSync(cmd[0]!, cmd.slice(1), {
    stdio: 'inherit',
    env: {
      ...process.env,
      ETCD_WATCH_REVISION: String(r.header?.revision ?? 0n),
      // etcdctl sets these with Go's %q: quoted.
      ETCD_WATCH_EVENT_TYPE: JSON.stringify(EVENT_TYPE_NAME[e.type] ?? String(e.type)),
      ETCD_WATCH_KEY: goQuote(e.kv!.key),
      ETCD_WATCH_VALUE: goQuote(e.kv!.value),
    },
  });
  const why = execFailure(cmd[0]!, res);
  if (why !== undefined) throw new WatchExit(`command [${cmd.map(goQuoteText).join(' ')}] error (${why})`, ExitCode.Error);
}

const SIGNAL_TEXT: Record<string, string> = { SIGKILL: 'killed', SIGTERM: 'terminated', SIGINT: 'interrupt', SIGHUP: 'hangup', SIGABRT: 'aborted', SIGSEGV: 'segmentation fault', SIGPIPE: 'broken pipe', SIGQUIT: 'quit' };

/** Go's text for a command that could not run or did not succeed; undefined when it succeeded. */
function execFailure(name: string, res: ReturnType<typeof spawnSync>): string | undefined {
  if (res.error) return goExecError(name, res.error as NodeJS.ErrnoException);
  if (res.signal) return `signal: ${SIGNAL_TEXT[res.signal] ?? res.signal}`;
  if (res.status !== 0) return `exit status ${res.status}`;
  return undefined;
}

/**
 * --interactive: one line at a time from stdin. Malformed lines are reported and skipped;
 * flag errors end the command (exit 128); the end of stdin ends it with exit code 3.
 */
async function interactiveWatch(s: Session, env: WatchEnv): Promise<number> {
  const p = printing(s);
  const c = await s.client();
  s.err.flushTo(2);
  const stream = c.watchStream();
  let fatal: (e: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fatal = reject));
  failed.catch(() => undefined);
  const state = { closing: false };
  try {
    await Promise.race([readLines(stream, env, p, fatal, state), failed]);
    return ExitCode.Success; // not reached: the loop ends by throwing
  } catch (e) {
    return exitFrom(s, e);
  } finally {
    // Watches still being created when the command ends are not "canceled" to the user.
    state.closing = true;
    stream.close();
    c.close();
  }
}

async function readLines(stream: WatchStream, env: WatchEnv, p: Printing, fatal: (e: unknown) => void, state: { closing: boolean }): Promise<never> {
  const lines = asyncStdinLines();
  for (;;) {
    const next = await lines.next();
    if (next.done) throw new CtlError('Error reading watch request line: EOF', ExitCode.InvalidInput);
    const l = next.value.replace(/\n$/, '');
    const args = argify(l);
    if (args.length < 1) {
      p.err.line(`Invalid command: ${l} (watch and progress supported)`);
      continue;
    }
    if (args[0] === 'progress') {
      // clientv3's RequestProgress: every watch of the stream gets a progress notification.
      stream.requestProgress();
      continue;
    }
    if (args[0] !== 'watch') {
      p.err.line(`Invalid command ${l} (only support watch)`);
      continue;
    }
    if (args.length < 2 && env.key === '') {
      p.err.line(`Invalid command ${l} (command type or key is not provided)`);
      continue;
    }
    const spec = parseInteractiveLine(args, env);
    let range: { key: string; rangeEnd?: string };
    try {
      range = watchRange(spec);
    } catch (e) {
      if (!(e instanceof CtlError)) throw e;
      p.err.line(`Invalid command ${l} (${e.message})`);
      continue;
    }
    // A canceled watch just stops printing; the others go on.
    startWatch(stream, range, spec, p, () => undefined, fatal).catch((e: unknown) => {
      if (state.closing) return;
      if (e instanceof ClientError) p.err.line(`watch was canceled (${e.message})`);
      else fatal(e);
    });
  }
}
