// `etcdutl`: etcd's offline utility, working on data directories and snapshot files
// directly. `defrag --data-dir` works; snapshot restore/status are listed and refused
// with a clear error and etcdutl's exit code until they are built.

import { defragDataDir } from './offline-defrag.js';

/** etcdutl exists from etcd 3.5 on; it reports the release etcd-ts presents itself as. */
const ETCDCTL_VERSION = '3.5.17';

const USAGE = `NAME:
\tetcdutl - An administrative command line tool for etcd3.

USAGE:
\tetcdutl [flags]

VERSION:
\t${ETCDCTL_VERSION}

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

export async function main(argv: string[]): Promise<void> {
  const words = argv.filter((a) => !a.startsWith('-'));
  const cmd = words[0];
  if (cmd === undefined || cmd === 'help' || argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(USAGE);
    return;
  }
  if (cmd === 'version') {
    process.stdout.write(`etcdutl version: ${ETCDCTL_VERSION}\nAPI version: 3.5\n`);
    return;
  }
  if (cmd === 'defrag') {
    process.exitCode = await defragCommand(argv.slice(argv.indexOf('defrag') + 1));
    return;
  }
  if (cmd === 'snapshot') {
    process.stderr.write(`Error: etcdutl ${words.join(' ')} is not available in this build yet\n`);
    process.exitCode = 1;
    return;
  }
  process.stderr.write(`Error: unknown command "${cmd}" for "etcdutl"\nRun 'etcdutl --help' for usage.\n`);
  process.exitCode = 1;
}

/** The value of --data-dir (as `--data-dir x` or `--data-dir=x`), or undefined. */
function dataDirFlag(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--data-dir' || a === '-data-dir') return args[i + 1];
    const m = /^--?data-dir=(.*)$/.exec(a);
    if (m) return m[1];
  }
  return undefined;
}

/** etcdutl 3.5's defrag: silent on success, "Failed to defragment etcd data[...]" and exit 1 otherwise. */
async function defragCommand(args: string[]): Promise<number> {
  const dir = dataDirFlag(args);
  if (dir === undefined || dir === '') {
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
