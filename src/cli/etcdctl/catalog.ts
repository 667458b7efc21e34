// Every etcdctl 3.4 command, in the order etcdctl adds them (cobra suggests in that
// order), with its help text. Commands not implemented yet are listed (the root help and
// prefix matching see them) and answer with an error; they slot in by adding `run`.

import { CtlError, ExitCode } from './errors.js';
import { flag } from './flags.js';
import type { CommandDef, RunContext } from './command-tree.js';
import {
  CHECK_DATASCALE_FLAGS,
  CHECK_DATASCALE_LONG,
  CHECK_PERF_FLAGS,
  COMPACTION_FLAGS,
  DEL_FLAGS,
  ELECT_FLAGS,
  GET_FLAGS,
  KEEPALIVE_FLAGS,
  LOCK_FLAGS,
  MAKE_MIRROR_FLAGS,
  PUT_FLAGS,
  RESTORE_FLAGS,
  STATUS_LONG,
  TIMETOLIVE_FLAGS,
} from './command-flags.js';
import { WATCH_FLAGS } from './watch-args.js';
import { AUTH_GROUP, ROLE_GROUP, USER_GROUP } from './auth-catalog.js';
import { lazy, type SessionRun } from './lazy-command.js';
import { versionCommand } from './version-command.js';

export type { SessionRun };

// Each command's module is imported when the command runs, not at start-up: between them
// they pull in the client, gRPC, the generated protobuf code and (for the offline
// commands) the storage engine, and `etcdctl version` or a usage error needs none of it.
const kv = () => import('./kv-commands.js');
const cluster = () => import('./cluster-commands.js');
const member = () => import('./member-commands.js');
const maintenance = () => import('./maintenance-commands.js');
const lease = () => import('./lease-commands.js');
const snapshot = () => import('./snapshot-commands.js');

/** The command table holds session runners; main adapts them to RunContext. */
export interface CatalogCommand extends Omit<CommandDef, 'run' | 'subcommands'> {
  exec?: SessionRun;
  subcommands?: CatalogCommand[];
  /** Listed in help as runnable though not implemented here yet. */
  pending?: boolean;
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

const pending = (name: string, short: string): CatalogCommand => ({ name, short, pending: true });
const group = (name: string, short: string, subcommands: CatalogCommand[], extra: Partial<CatalogCommand> = {}): CatalogCommand => ({
  name,
  short,
  use: '<subcommand>',
  subcommands,
  ...extra,
});

export const ROOT: CatalogCommand = {
  name: 'etcdctl',
  short: 'A simple command line client for etcd3.',
  subcommands: [
    { name: 'get', short: 'Gets the key or a range of keys', use: '[options] <key> [range_end]', flags: GET_FLAGS, exec: lazy(kv, (m) => m.getCommand) },
    { name: 'put', short: 'Puts the given key into the store', use: '[options] <key> <value> (<value> can also be given from stdin)', long: PUT_LONG, flags: PUT_FLAGS, exec: lazy(kv, (m) => m.putCommand) },
    { name: 'del', short: 'Removes the specified key or range of keys [key, range_end)', use: '[options] <key> [range_end]', flags: DEL_FLAGS, exec: lazy(kv, (m) => m.delCommand) },
    {
      name: 'txn',
      short: 'Txn processes all the requests in one transaction',
      use: '[options]',
      flags: [flag('interactive', 'bool', 'false', 'Input transaction in interactive mode', 'i')],
      exec: lazy(() => import('./txn-command.js'), (m) => m.txnCommand),
    },
    { name: 'compaction', short: 'Compacts the event history in etcd', use: '[options] <revision>', flags: COMPACTION_FLAGS, exec: lazy(kv, (m) => m.compactionCommand) },
    group('alarm', 'Alarm related commands', [
      { name: 'disarm', short: 'Disarms all alarms', exec: lazy(maintenance, (m) => m.alarmDisarmCommand) },
      { name: 'list', short: 'Lists all alarms', exec: lazy(maintenance, (m) => m.alarmListCommand) },
    ]),
    {
      name: 'defrag',
      short: 'Defragments the storage of the etcd members with given endpoints',
      flags: [
        flag('cluster', 'bool', 'false', 'use all endpoints from the cluster member list'),
        flag('data-dir', 'string', '', 'Optional. If present, defragments a data directory not in use by etcd.'),
      ],
      exec: lazy(maintenance, (m) => m.defragCommand),
    },
    group(
      'endpoint',
      'Endpoint related commands',
      [
        {
          name: 'hashkv',
          short: 'Prints the KV history hash for each endpoint in --endpoints',
          flags: [flag('rev', 'int', '0', 'maximum revision to hash (default: all revisions)')],
          exec: lazy(maintenance, (m) => m.endpointHashKVCommand),
        },
        { name: 'health', short: 'Checks the healthiness of endpoints specified in `--endpoints` flag', exec: lazy(cluster, (m) => m.endpointHealthCommand) },
        {
          name: 'status',
          short: 'Prints out the status of endpoints specified in `--endpoints` flag',
          long: 'When --write-out is set to simple, this command prints out comma-separated status lists for each endpoint.\nThe items in the lists are endpoint, ID, version, db size, is leader, is learner, raft term, raft index, raft applied index, errors.',
          exec: lazy(cluster, (m) => m.endpointStatusCommand),
        },
      ],
      { persistentFlags: [flag('cluster', 'bool', 'false', 'use all endpoints from the cluster member list')] },
    ),
    { name: 'move-leader', short: 'Transfers leadership to another etcd cluster member.', use: '<transferee-member-id>', exec: lazy(() => import('./move-leader-command.js'), (m) => m.moveLeaderCommand) },
    { name: 'watch', short: 'Watches events stream on keys or prefixes', use: '[options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]', flags: WATCH_FLAGS, exec: lazy(() => import('./watch-command.js'), (m) => m.watchCommand) },
    { name: 'version', short: 'Prints the version of etcdctl', exec: versionCommand },
    group('lease', 'Lease related commands', [
      { name: 'grant', short: 'Creates leases', use: '<ttl>', exec: lazy(lease, (m) => m.leaseGrantCommand) },
      { name: 'revoke', short: 'Revokes leases', use: '<leaseID>', exec: lazy(lease, (m) => m.leaseRevokeCommand) },
      { name: 'timetolive', short: 'Get lease information', use: '<leaseID> [options]', flags: TIMETOLIVE_FLAGS, exec: lazy(lease, (m) => m.leaseTimeToLiveCommand) },
      { name: 'list', short: 'List all active leases', exec: lazy(lease, (m) => m.leaseListCommand) },
      { name: 'keep-alive', short: 'Keeps leases alive (renew)', use: '[options] <leaseID>', flags: KEEPALIVE_FLAGS, exec: lazy(lease, (m) => m.leaseKeepAliveCommand) },
    ]),
    group('member', 'Membership related commands', [
      {
        name: 'add',
        short: 'Adds a member into the cluster',
        use: '<memberName> [options]',
        flags: [
          flag('peer-urls', 'string', '', 'comma separated peer URLs for the new member.'),
          flag('learner', 'bool', 'false', 'indicates if the new member is raft learner'),
        ],
        exec: lazy(member, (m) => m.memberAddCommand),
      },
      { name: 'remove', short: 'Removes a member from the cluster', use: '<memberID>', exec: lazy(member, (m) => m.memberRemoveCommand) },
      {
        name: 'update',
        short: 'Updates a member in the cluster',
        use: '<memberID> [options]',
        flags: [flag('peer-urls', 'string', '', 'comma separated peer URLs for the updated member.')],
        exec: lazy(member, (m) => m.memberUpdateCommand),
      },
      {
        name: 'list',
        short: 'Lists all members in the cluster',
        long: 'When --write-out is set to simple, this command prints out comma-separated member lists for each endpoint.\nThe items in the lists are ID, Status, Name, Peer Addrs, Client Addrs, Is Learner.',
        exec: lazy(cluster, (m) => m.memberListCommand),
      },
      {
        name: 'promote',
        short: 'Promotes a non-voting member in the cluster',
        use: '<memberID>',
        long: 'Promotes a non-voting learner member to a voting one in the cluster.\n',
        exec: lazy(member, (m) => m.memberPromoteCommand),
      },
    ]),
    group('snapshot', 'Manages etcd node snapshots', [
      { name: 'save', short: 'Stores an etcd node backend snapshot to a given file', use: '<filename>', exec: lazy(() => import('./snapshot-save.js'), (m) => m.snapshotSaveCommand) },
      { name: 'restore', short: 'Restores an etcd member snapshot to an etcd directory', use: '<filename> [options]', flags: RESTORE_FLAGS, exec: lazy(snapshot, (m) => m.snapshotRestoreCommand) },
      { name: 'status', short: 'Gets backend snapshot status of a given file', use: '<filename>', long: STATUS_LONG, exec: lazy(snapshot, (m) => m.snapshotStatusCommand) },
    ]),
    { name: 'make-mirror', short: 'Makes a mirror at the destination etcd cluster', use: '[options] <destination>', flags: MAKE_MIRROR_FLAGS, exec: lazy(() => import('./make-mirror-command.js'), (m) => m.makeMirrorCommand) },
    pending('migrate', 'Migrates keys in a v2 store to a mvcc store'),
    { name: 'lock', short: 'Acquires a named lock', use: '<lockname> [exec-command arg1 arg2 ...]', flags: LOCK_FLAGS, exec: lazy(() => import('./lock-command.js'), (m) => m.lockCommand) },
    { name: 'elect', short: 'Observes and participates in leader election', use: '<election-name> [proposal]', flags: ELECT_FLAGS, exec: lazy(() => import('./elect-command.js'), (m) => m.electCommand) },
    AUTH_GROUP,
    USER_GROUP,
    ROLE_GROUP,
    group('check', 'commands for checking properties of the etcd cluster', [
      { name: 'perf', short: 'Check the performance of the etcd cluster', use: '[options]', flags: CHECK_PERF_FLAGS, exec: lazy(() => import('./check-perf-command.js'), (m) => m.checkPerfCommand) },
      { name: 'datascale', short: 'Check the memory usage of holding data for different workloads on a given server endpoint.', use: '[options]', long: CHECK_DATASCALE_LONG, flags: CHECK_DATASCALE_FLAGS, exec: lazy(() => import('./check-datascale-command.js'), (m) => m.checkDatascaleCommand) },
    ]),
    // cobra adds these two when the root executes.
    { name: 'help', short: 'Help about any command', use: '[command]' },
    group('completion', 'Generate the autocompletion script for the specified shell', [
      pending('bash', 'Generate the autocompletion script for bash'),
      pending('fish', 'Generate the autocompletion script for fish'),
      pending('powershell', 'Generate the autocompletion script for powershell'),
      pending('zsh', 'Generate the autocompletion script for zsh'),
    ], {
      use: undefined,
      long: "Generate the autocompletion script for etcdctl for the specified shell.\nSee each sub-command's help for details on how to use the generated script.\n",
    }),
  ],
};

/** Builds the cobra-style tree: `wrap` turns a session runner into a RunContext runner. */
export function commandTree(wrap: (exec: SessionRun, ctx: RunContext) => Promise<number>, c: CatalogCommand = ROOT): CommandDef {
  const { exec, subcommands, pending: isPending, ...rest } = c;
  const def: CommandDef = { ...rest, ...(subcommands ? { subcommands: subcommands.map((s) => commandTree(wrap, s)) } : {}) };
  if (exec) def.run = (ctx) => wrap(exec, ctx);
  else if (isPending) def.run = async (ctx) => {
    throw new CtlError(`etcdctl ${ctx.path.join(' ')} is not implemented yet`, ExitCode.Error);
  };
  else if (c.name === 'help') def.run = async () => ExitCode.Success; // handled by main
  return def;
}
