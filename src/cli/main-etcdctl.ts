// `etcdctl`: etcd's command-line client (v3 API). Output, errors and exit codes follow
// etcdctl 3.4.23 (Debian's etcd-client); test/cli replays fixtures recorded from it.
//
// The flow is cobra's: find the command from the leading words, parse its flags with
// pflag's rules (flag errors print the usage on stdout and the error twice on stderr),
// print help for --help and for groups, run the command, and report a failure as
// "Error: <message>" with etcdctl's exit code. ETCDCTL_API=3 (or unset) is the v3 client;
// =2 (etcdctl's v2 client) is not built and runs v3; any other value is refused as etcdctl does.

import { ClientError } from '../client/errors.js';
import { commandTree, type SessionRun } from './etcdctl/catalog.js';
import { commandFlags, findCommand, stripFlags, suggestionsFor, type CommandDef, type RunContext } from './etcdctl/command-tree.js';
import { CtlError, ExitCode, GoPanic } from './etcdctl/errors.js';
import { FlagError, FlagValues, parseFlags, type FlagDef } from './etcdctl/flags.js';
import { FatalLog, GLOBAL_FLAGS } from './etcdctl/global-flags.js';
import { goBackquoteText, goQuoteText } from '../pkg/go-quote.js';
import { Output, PrintOrder } from './etcdctl/output.js';
import { Session } from './etcdctl/session.js';
import { processArgs } from '../pkg/raw-argv.js';
import { processEnv } from './etcdctl/raw-env.js';
import { processStdin, type Stdin } from './etcdctl/stdin.js';
import { renderHelp } from './etcdctl/usage.js';

/** A Go program that panics exits with status 2. */
const GO_PANIC_EXIT = 2;

function flagsOf(chain: CommandDef[]): { local: FlagDef[]; inherited: FlagDef[] } {
  return commandFlags(chain, GLOBAL_FLAGS, chain[chain.length - 1]!.name);
}

function helpOf(chain: CommandDef[]): string {
  return renderHelp({ chain, ...flagsOf(chain) });
}

function unknownCommand(root: CommandDef, word: string, err: Output): number {
  const suggestions = suggestionsFor(root, word);
  let msg = `unknown command ${goQuoteText(word)} for "etcdctl"`;
  if (suggestions.length > 0) msg += `\n\nDid you mean this?\n${suggestions.map((s) => `\t${s}\n`).join('')}`;
  err.line(`Error: ${msg}`);
  err.line(`Run 'etcdctl --help' for usage.`);
  err.line(`Error: ${msg}`);
  return ExitCode.Error;
}

/** Runs etcdctl; returns the exit code. Output goes to `out`/`err`. */
export async function run(argv: string[], out: Output, err: Output, env: NodeJS.ProcessEnv, stdin: Stdin): Promise<number> {
  let chain: CommandDef[] = [];
  let inherited: FlagDef[] = [];
  const wrap = (exec: SessionRun, ctx: RunContext) => exec(new Session(ctx, out, err, inherited, env, stdin));
  const root = commandTree(wrap);
  // While finding the command cobra has not added the help flag yet: `--help get` is an
  // unknown flag taking "get" as its value, so the root's help is printed.
  const findFlags = (c: CommandDef[]): FlagDef[] => {
    const f = flagsOf(c);
    return [...f.local, ...f.inherited].filter((x) => x.name !== 'help');
  };
  const found = findCommand(root, argv, findFlags);
  chain = found.chain;
  const flags = flagsOf(chain);
  // cobra checks the root's leftover words while finding the command, before any flag
  // is parsed: `etcdctl --foo get k` is an unknown command "k" (--foo took "get").
  const rootWords = chain.length === 1 ? stripFlags(found.args, findFlags(chain)) : [];
  if (rootWords.length > 0 && !(rootWords[0] === 'help')) return unknownCommand(root, rootWords[0]!, err);
  inherited = flags.inherited;
  const values = new FlagValues([...flags.local, ...flags.inherited.filter((g) => !flags.local.some((l) => l.name === g.name))]);
  let args: string[];
  try {
    args = parseFlags(found.args, values);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    // cobra reports the error, prints the usage, then etcdctl reports it again.
    err.line(`Error: ${e.message}`);
    out.raw(helpOf(chain));
    err.line();
    err.line(`Error: ${e.message}`);
    return ExitCode.Error;
  }
  const cmd = chain[chain.length - 1]!;
  if (values.bool('help')) {
    out.raw(helpOf(chain));
    return ExitCode.Success;
  }
  if (cmd.name === 'help' && chain.length === 2) {
    const topic = findCommand(root, args, () => []);
    if (topic.chain.length === 1 && args.length > 0) {
      // cobra: Go's %#q of the words, then the root's usage, whose flags lack -h (never parsed).
      err.line(`Unknown help topic [${args.map(goBackquoteText).join(' ')}]`);
      const f = flagsOf([root]);
      out.raw(renderHelp({ chain: [root], local: f.local.filter((x) => x.name !== 'help'), inherited: f.inherited }));
      return ExitCode.Success;
    }
    out.raw(helpOf(topic.chain));
    return ExitCode.Success;
  }
  if (!cmd.run) {
    out.raw(helpOf(chain));
    return ExitCode.Success;
  }
  const ctx: RunContext = { path: chain.slice(1).map((c) => c.name), args, flags: values };
  try {
    return await cmd.run(ctx);
  } catch (e) {
    if (e instanceof CtlError) {
      if (e.preamble) err.raw(e.preamble);
      err.line(`Error: ${e.message}`);
      return e.exitCode;
    }
    if (e instanceof ClientError) {
      err.line(`Error: ${e.userText}`);
      return ExitCode.Error;
    }
    if (e instanceof GoPanic) {
      err.raw(`panic: ${e.message}\n\ngoroutine 1 [running]:\n`);
      return GO_PANIC_EXIT;
    }
    if (e instanceof FatalLog) {
      err.line(e.message);
      return ExitCode.Error;
    }
    throw e;
  }
}

/** `argv` defaults to this process's arguments as byte strings (see raw-argv.ts): Go's etcdctl sees raw bytes. */
export async function main(argv: string[] = processArgs()): Promise<void> {
  // Node's own deprecation notices (e.g. TLS to an IP address) are not etcdctl output.
  process.noDeprecation = true;
  // One print order for both streams: `etcdctl ... 2>&1` interleaves them as Go's etcdctl does.
  const order = new PrintOrder();
  const out = new Output({ order, fd: 1 });
  const err = new Output({ order, fd: 2 });
  let code: number;
  // etcdctl 3.4's main: unset or "3" runs v3, "2" the v2 client (not built here), anything else is refused.
  const api = process.env.ETCDCTL_API ?? '';
  if (api !== '' && api !== '3' && api !== '2') {
    process.stderr.write(`unsupported API version ${api}\n`);
    process.exitCode = ExitCode.Error;
    return;
  }
  try {
    code = await run(argv, out, err, processEnv(), processStdin());
  } catch (e) {
    err.line(`Error: ${e instanceof Error ? e.message : String(e)}`);
    code = ExitCode.Error;
  }
  order.flush((fd, bytes) => (fd === 2 ? process.stderr : process.stdout).write(bytes));
  process.exitCode = code;
}
