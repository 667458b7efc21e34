// `etcdctl`: etcd's command-line client, v3 API. Output, errors and exit codes follow
// etcdctl 3.4 (Debian's etcd-client), which the test suite compares against.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, ClientError } from '../client/client.js';
import { API_VERSION, endpointHealth, endpointStatus, printMemberList, printVersion } from './etcdctl/cluster-commands.js';
import { buildDel, buildGet, buildPut, COMPACTION_FLAGS, DEL_FLAGS, ExitCode, GET_FLAGS, PUT_FLAGS } from './etcdctl/kv-commands.js';
import { boolFlag, EnvConflictError, FlagUsageError, parseCommandLine, UsageError, type CommandSpec, type CtlFlag } from './etcdctl/pflag.js';
import { renderUsage, type CommandHelp } from './etcdctl/usage.js';
import { Output, printDel, printGet, printPut, printTxn, type OutputFormat, type PrintOptions } from './etcdctl/printers.js';
import { inputLines, parseTxn } from './etcdctl/txn-parse.js';

const g = (name: string, kind: CtlFlag['kind'], def: string, usage: string, short?: string): CtlFlag => ({ name, kind, default: def, usage, short });

export const GLOBAL_FLAGS: CtlFlag[] = [
  g('endpoints', 'strings', '127.0.0.1:2379', 'gRPC endpoints'),
  g('debug', 'bool', 'false', 'enable client-side debug logging'),
  g('write-out', 'string', 'simple', 'set the output format (fields, json, protobuf, simple, table)', 'w'),
  g('hex', 'bool', 'false', 'print byte strings as hex encoded strings'),
  g('dial-timeout', 'duration', '2s', 'dial timeout for client connections'),
  g('command-timeout', 'duration', '5s', 'timeout for short running command (excluding dial timeout)'),
  g('keepalive-time', 'duration', '2s', 'keepalive time for client connections'),
  g('keepalive-timeout', 'duration', '6s', 'keepalive timeout for client connections'),
  g('insecure-transport', 'bool', 'true', 'disable transport security for client connections'),
  g('insecure-discovery', 'bool', 'true', 'accept insecure SRV records describing cluster endpoints'),
  g('insecure-skip-tls-verify', 'bool', 'false', 'skip server certificate verification (CAUTION: this option should be enabled only for testing purposes)'),
  g('cert', 'string', '', 'identify secure client using this TLS certificate file'),
  g('key', 'string', '', 'identify secure client using this TLS key file'),
  g('cacert', 'string', '', 'verify certificates of TLS-enabled secure servers using this CA bundle'),
  g('user', 'string', '', 'username[:password] for authentication (prompt if password is not supplied)'),
  g('password', 'string', '', 'password for authentication (if this option is used, --user option shouldn\'t include password)'),
  g('discovery-srv', 'string', '', 'domain name to query for SRV records describing cluster endpoints', 'd'),
  g('discovery-srv-name', 'string', '', 'service name to query when using DNS discovery'),
  g('help', 'bool', 'false', 'help for etcdctl', 'h'),
];

const CLUSTER_FLAG = g('cluster', 'bool', 'false', 'use all endpoints from the cluster member list');

interface Command extends CommandSpec {
  help: CommandHelp;
}

const PUT_LONG = `Puts the given key into the store.

When <value> begins with '-', <value> is interpreted as a flag.
Insert '--' for workaround:

$ put <key> -- <value>
$ put -- <key> <value>

If <value> isn't given as a command line argument and '--ignore-value' is not specified,
this command tries to read the value from standard input.

If <lease> isn't given as a command line argument and '--ignore-lease' is not specified,
this command tries to read the value from standard input.

For example,
$ cat file | put <key>
will store the content of the file to <key>.`;

const COMMANDS: Command[] = [
  { path: ['put'], flags: PUT_FLAGS, help: { short: 'Puts the given key into the store', use: 'put [options] <key> <value> (<value> can also be given from stdin)', long: PUT_LONG } },
  { path: ['get'], flags: GET_FLAGS, help: { short: 'Gets the key or a range of keys', use: 'get [options] <key> [range_end]' } },
  { path: ['del'], flags: DEL_FLAGS, help: { short: 'Removes the specified key or range of keys [key, range_end)', use: 'del [options] <key> [range_end]' } },
  {
    path: ['txn'],
    flags: [g('interactive', 'bool', 'false', 'Input transaction in interactive mode', 'i')],
    help: { short: 'Txn processes all the requests in one transaction', use: 'txn [options]' },
  },
  { path: ['compaction'], flags: COMPACTION_FLAGS, help: { short: 'Compacts the event history in etcd', use: 'compaction [options] <revision>' } },
  { path: ['version'], flags: [], help: { short: 'Prints the version of etcdctl', use: 'version' } },
  {
    path: ['endpoint', 'health'],
    flags: [CLUSTER_FLAG],
    help: { short: 'Checks the healthiness of endpoints specified in `--endpoints` flag', use: 'endpoint health', inherited: [CLUSTER_FLAG] },
  },
  {
    path: ['endpoint', 'status'],
    flags: [CLUSTER_FLAG],
    help: {
      short: 'Prints out the status of endpoints specified in `--endpoints` flag',
      use: 'endpoint status',
      long: 'When --write-out is set to simple, this command prints out comma-separated status lists for each endpoint.\nThe items in the lists are endpoint, ID, version, db size, is leader, is learner, raft term, raft index, raft applied index, errors.',
      inherited: [CLUSTER_FLAG],
    },
  },
  {
    path: ['member', 'list'],
    flags: [],
    help: {
      short: 'Lists all members in the cluster',
      use: 'member list',
      long: 'When --write-out is set to simple, this command prints out comma-separated member lists for each endpoint.\nThe items in the lists are ID, Status, Name, Peer Addrs, Client Addrs, Is Learner.',
    },
  },
];

function usageOf(spec: CommandSpec): string {
  const c = COMMANDS.find((x) => x.path.join(' ') === spec.path.join(' '))!;
  const own = c.flags.filter((f) => !(c.help.inherited ?? []).includes(f));
  return renderUsage(c.path, c.help, own, GLOBAL_FLAGS);
}

function durationMs(text: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * units[m[2]!]!;
  return total;
}

function readStdin(): Buffer {
  try {
    return readFileSync(0);
  } catch {
    return Buffer.alloc(0);
  }
}

async function run(argv: string[], out: Output, err: Output): Promise<number> {
  const parsed = parseCommandLine(argv, GLOBAL_FLAGS, COMMANDS, process.env);
  for (const w of parsed.warnings) err.line(`${capnslogTime()} ${w}`);
  const v = parsed.values;
  if (boolFlag(v.get('help'))) {
    out.raw(usageOf(parsed.command));
    return ExitCode.Success;
  }
  const format = v.get('write-out')! as OutputFormat;
  if (!['simple', 'json', 'fields', 'table', 'protobuf'].includes(format)) {
    throw new UsageError(`unknown output format ${format}`, ExitCode.BadFeature);
  }
  const o: PrintOptions = { format, hex: boolFlag(v.get('hex')) };
  const endpoints = v.get('endpoints')!.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const cmd = parsed.command.path.join(' ');
  if (cmd === 'version') {
    printVersion(out);
    return ExitCode.Success;
  }
  const kvOnly = (): void => {
    if (format === 'table') throw new UsageError('table not supported as output format', ExitCode.BadFeature);
  };
  const client = new Client({ endpoints, dialTimeoutMs: durationMs(v.get('dial-timeout')!), commandTimeoutMs: durationMs(v.get('command-timeout')!) });
  try {
    switch (cmd) {
      case 'put': {
        kvOnly();
        const req = buildPut(parsed.args, v, readStdin);
        printPut(out, await client.put(req), o);
        return ExitCode.Success;
      }
      case 'get': {
        kvOnly();
        const resp = await client.range(buildGet(parsed.args, v));
        if (boolFlag(v.get('count-only')) && format === 'simple') out.line(String(resp.count));
        else printGet(out, resp, o, boolFlag(v.get('print-value-only')));
        return ExitCode.Success;
      }
      case 'del': {
        kvOnly();
        printDel(out, await client.deleteRange(buildDel(parsed.args, v)), o);
        return ExitCode.Success;
      }
      case 'txn': {
        kvOnly();
        const interactive = boolFlag(v.get('interactive'));
        const txn = parseTxn(inputLines(readStdin().toString('utf8')), interactive ? (t) => process.stdout.write(t) : undefined);
        printTxn(out, await client.txn(txn), o);
        return ExitCode.Success;
      }
      case 'compaction': {
        if (parsed.args.length !== 1) throw new UsageError('compaction command needs 1 argument', ExitCode.BadArgs);
        const text = parsed.args[0]!;
        if (!/^[+-]?\d+$/.test(text)) throw new UsageError(`strconv.ParseInt: parsing "${text}": invalid syntax`, ExitCode.Error);
        const rev = BigInt(text);
        await client.compact({ revision: rev, physical: boolFlag(v.get('physical')) });
        out.line(`compacted revision ${rev}`);
        return ExitCode.Success;
      }
      case 'endpoint health': {
        const eps = boolFlag(v.get('cluster')) ? await clusterEndpoints(client) : endpoints;
        const healthy = await endpointHealth(client, eps, out, err, o);
        if (!healthy) throw new UsageError('unhealthy cluster', ExitCode.Error);
        return ExitCode.Success;
      }
      case 'endpoint status': {
        const eps = boolFlag(v.get('cluster')) ? await clusterEndpoints(client) : endpoints;
        await endpointStatus(client, eps, out, err, o);
        return ExitCode.Success;
      }
      case 'member list':
        printMemberList(await client.memberList(), out, o);
        return ExitCode.Success;
    }
    throw new UsageError(`unknown command "${cmd}" for "etcdctl"`, ExitCode.Error);
  } finally {
    client.close();
  }
}

async function clusterEndpoints(client: Client): Promise<string[]> {
  const members = await client.memberList();
  return members.members.flatMap((m) => m.clientURLs);
}

/** capnslog's timestamp: local time with microseconds, "2006-01-02 15:04:05.000000". */
function capnslogTime(): string {
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
}

function retryWarning(e: ClientError): string {
  return JSON.stringify({
    level: 'warn',
    ts: new Date().toISOString(),
    caller: 'clientv3/retry_interceptor.go:62',
    msg: 'retrying of unary invoker failed',
    target: `endpoint://client-${randomUUID()}/${e.endpoint}`,
    attempt: 0,
    error: e.grpcText,
  });
}

export async function main(argv: string[]): Promise<void> {
  const out = new Output();
  const err = new Output();
  let code: number;
  try {
    code = await run(argv, out, err);
  } catch (e) {
    if (e instanceof EnvConflictError) {
      err.line(`${capnslogTime()} ${e.logLine}`);
      code = ExitCode.Error;
    } else if (e instanceof FlagUsageError && e.command) {
      // cobra prints the error, the usage, then the error again.
      out.raw(usageOf(e.command));
      err.line(`Error: ${e.message}`);
      err.line('');
      err.line(`Error: ${e.message}`);
      code = e.exitCode;
    } else if (e instanceof UsageError) {
      if (e.message === 'no command') {
        out.raw(`NAME:\n\tetcdctl - A simple command line client for etcd3.\n\nUSAGE:\n\tetcdctl [flags]\n\nVERSION:\n\t${API_VERSION}\n`);
        code = ExitCode.Success;
      } else {
        err.line(`Error: ${e.message}`);
        code = e.exitCode;
      }
    } else if (e instanceof ClientError) {
      // etcdctl 3.4's client logs each failed call before the error itself.
      if (e.endpoint !== undefined) err.line(retryWarning(e));
      err.line(`Error: ${e.userText}`);
      code = ExitCode.Error;
    } else {
      err.line(`Error: ${e instanceof Error ? e.message : String(e)}`);
      code = ExitCode.Error;
    }
  }
  process.stdout.write(out.bytes());
  process.stderr.write(err.bytes());
  process.exitCode = code;
}
