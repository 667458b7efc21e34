// `etcdutl`: etcd's offline utility, working on data directories and snapshot files
// directly. Snapshot restore/status and defrag arrive with the maintenance issue; until
// then the commands are listed and refused with a clear error and etcdutl's exit code.

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
  if (cmd === 'snapshot' || cmd === 'defrag') {
    process.stderr.write(`Error: etcdutl ${words.join(' ')} is not available in this build yet\n`);
    process.exitCode = 1;
    return;
  }
  process.stderr.write(`Error: unknown command "${cmd}" for "etcdutl"\nRun 'etcdutl --help' for usage.\n`);
  process.exitCode = 1;
}
