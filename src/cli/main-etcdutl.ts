// `etcdutl`: etcd's offline utility, working on snapshot files and data directories
// directly: `snapshot status`, `snapshot restore` (see etcdutl/snapshot-commands.ts) and
// `defrag --data-dir` (offline-defrag.ts).

import { defragDataDir } from './offline-defrag.js';
import { RESTORE_DEFAULTS, utlSnapshotRestore, utlSnapshotStatus, UtlError, EXIT_ERROR, type RestoreFlags } from './etcdutl/snapshot-commands.js';

/** etcdutl exists from etcd 3.5 on; it reports the release etcd-ts presents itself as. */
const ETCDUTL_VERSION = '3.5.17';

const USAGE = `NAME:
\tetcdutl - An administrative command line tool for etcd3.

USAGE:
\tetcdutl [flags]

VERSION:
\t${ETCDUTL_VERSION}

API VERSION:
\t3.5


COMMANDS:
\tdefrag\tDefragments the storage of the etcd
\thelp\tHelp about any command
\tsnapshot\tManages etcd node snapshots
\tversion\tPrints the version of etcdutl

OPTIONS:
  -h, --help[=false]\t\thelp for etcdutl
  -w, --write-out="simple"\tset the output format (fields, json, protobuf, simple, table)
`;

const SNAPSHOT_USAGE = `NAME:
\tsnapshot - Manages etcd node snapshots

USAGE:
\tetcdutl snapshot <subcommand> [flags]

COMMANDS:
\trestore\tRestores an etcd member snapshot to an etcd directory
\tstatus\tGets backend snapshot status of a given file

OPTIONS:
  -h, --help[=false]\thelp for snapshot

GLOBAL OPTIONS:
  -w, --write-out="simple"\tset the output format (fields, json, protobuf, simple, table)
`;

const STATUS_USAGE = `NAME:
\tsnapshot status - Gets backend snapshot status of a given file

USAGE:
\tetcdutl snapshot status <filename> [flags]

DESCRIPTION:
\tWhen --write-out is set to simple, this command prints out comma-separated status lists for each endpoint.
\tThe items in the lists are hash, revision, total keys, total size.

OPTIONS:
  -h, --help[=false]\thelp for status

GLOBAL OPTIONS:
  -w, --write-out="simple"\tset the output format (fields, json, protobuf, simple, table)
`;

const RESTORE_USAGE = `NAME:
\tsnapshot restore - Restores an etcd member snapshot to an etcd directory

USAGE:
\tetcdutl snapshot restore <filename> [options] [flags]

OPTIONS:
      --data-dir=""\t\t\t\t\t\tPath to the data directory
  -h, --help[=false]\t\t\t\t\t\thelp for restore
      --initial-advertise-peer-urls="http://localhost:2380"\tList of this member's peer URLs to advertise to the rest of the cluster
      --initial-cluster="default=http://localhost:2380"\t\tInitial cluster configuration for restore bootstrap
      --initial-cluster-token="etcd-cluster"\t\t\tInitial cluster token for the etcd cluster during restore bootstrap
      --name="default"\t\t\t\t\t\tHuman-readable name for this member
      --skip-hash-check[=false]\t\t\t\t\tIgnore snapshot integrity hash value (required if copied from data directory)
      --wal-dir=""\t\t\t\t\t\tPath to the WAL directory (use --data-dir if none given)

GLOBAL OPTIONS:
  -w, --write-out="simple"\tset the output format (fields, json, protobuf, simple, table)
`;

const STRING_FLAGS: Record<string, keyof RestoreFlags | 'write-out'> = {
  'write-out': 'write-out',
  w: 'write-out',
  name: 'name',
  'data-dir': 'dataDir',
  'wal-dir': 'walDir',
  'initial-cluster': 'initialCluster',
  'initial-cluster-token': 'initialClusterToken',
  'initial-advertise-peer-urls': 'initialAdvertisePeerUrls',
};

interface Parsed {
  words: string[];
  format: string;
  restore: RestoreFlags;
  help: boolean;
}

function parseBool(name: string, v: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new UtlError(`invalid argument "${v}" for "--${name}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`, EXIT_ERROR);
}

/** pflag's rules for the few flags etcdutl has: --f=v, --f v, -w v, -wv, bools without a value. */
function parseArgs(argv: string[]): Parsed {
  const p: Parsed = { words: [], format: 'simple', restore: { ...RESTORE_DEFAULTS }, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      p.words.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      p.words.push(a);
      continue;
    }
    const long = a.startsWith('--');
    const body = long ? a.slice(2) : a.slice(1);
    const eq = body.indexOf('=');
    let name = eq >= 0 ? body.slice(0, eq) : body;
    let value: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (!long && name.length > 1) {
      value = value ?? name.slice(1);
      name = name[0]!;
    }
    if (name === 'h' || name === 'help') {
      p.help = value === undefined ? true : parseBool('help', value);
      continue;
    }
    if (name === 'skip-hash-check') {
      p.restore.skipHashCheck = value === undefined ? true : parseBool(name, value);
      continue;
    }
    const target = STRING_FLAGS[name];
    if (target === undefined || (!long && name !== 'w')) {
      throw new UtlError(long ? `unknown flag: --${name}` : `unknown shorthand flag: '${name}' in ${a}`, EXIT_ERROR);
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UtlError(`flag needs an argument: ${long ? `--${name}` : `'${name}' in -${name}`}`, EXIT_ERROR);
      value = argv[++i]!;
    }
    if (target === 'write-out') p.format = value;
    else (p.restore as unknown as Record<string, string>)[target] = value;
  }
  return p;
}

export async function main(argv: string[]): Promise<void> {
  const io = { out: (t: string) => process.stdout.write(t), err: (t: string) => process.stderr.write(t) };
  try {
    const p = parseArgs(argv);
    const [cmd, sub, ...args] = p.words;
    if (cmd === undefined || cmd === 'help' || (p.help && cmd !== 'snapshot')) {
      io.out(USAGE);
      return;
    }
    if (cmd === 'version') {
      io.out(`etcdutl version: ${ETCDUTL_VERSION}\nAPI version: 3.5\n`);
      return;
    }
    if (cmd === 'snapshot') {
      if (sub === 'status') {
        if (p.help) return void io.out(STATUS_USAGE);
        return await utlSnapshotStatus(args, p.format, io);
      }
      if (sub === 'restore') {
        if (p.help) return void io.out(RESTORE_USAGE);
        return await utlSnapshotRestore(args, p.restore, io);
      }
      io.out(SNAPSHOT_USAGE);
      return;
    }
    if (cmd === 'defrag') {
      process.exitCode = await defragCommand(p.restore.dataDir);
      return;
    }
    io.err(`Error: unknown command "${cmd}" for "etcdutl"\nRun 'etcdutl --help' for usage.\n`);
    process.exitCode = EXIT_ERROR;
  } catch (e) {
    if (!(e instanceof UtlError)) throw e;
    io.err(`Error: ${e.message}\n`);
    process.exitCode = e.exitCode;
  }
}


/** etcdutl 3.5's defrag: silent on success, "Failed to defragment etcd data[...]" and exit 1 otherwise. */
async function defragCommand(dir: string): Promise<number> {
  if (dir === '') {
    process.stderr.write('Error: required flag(s) "data-dir" not set\n');
    return 1;
  }
  try {
    await defragDataDir(dir, {
      waitingHint: 'To defrag a running etcd instance, use `etcdctl defrag` instead.',
      warn: (line) => process.stderr.write(`${line}\n`),
    });
    return 0;
  } catch (err) {
    process.stderr.write(`Error: Failed to defragment etcd data[${dir}] (${err instanceof Error ? err.message : String(err)})\n`);
    return 1;
  }
}
