// The flags and long help of each etcdctl command, apart from the code that runs it:
// the command table and help need them at start-up, while the commands themselves are
// loaded only when run (their modules pull in the client, gRPC and protobuf code).

import { flag, type FlagDef } from './flags.js';

// kv-commands
export const PUT_FLAGS: FlagDef[] = [
  flag('lease', 'string', '0', 'lease ID (in hexadecimal) to attach to the key'),
  flag('prev-kv', 'bool', 'false', 'return the previous key-value pair before modification'),
  flag('ignore-value', 'bool', 'false', 'updates the key using its current value'),
  flag('ignore-lease', 'bool', 'false', 'updates the key using its current lease'),
];

export const GET_FLAGS: FlagDef[] = [
  flag('consistency', 'string', 'l', 'Linearizable(l) or Serializable(s)'),
  flag('order', 'string', '', 'Order of results; ASCEND or DESCEND (ASCEND by default)'),
  flag('sort-by', 'string', '', 'Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION'),
  flag('limit', 'int', '0', 'Maximum number of results'),
  flag('prefix', 'bool', 'false', 'Get keys with matching prefix'),
  flag('from-key', 'bool', 'false', 'Get keys that are greater than or equal to the given key using byte compare'),
  flag('rev', 'int', '0', 'Specify the kv revision'),
  flag('keys-only', 'bool', 'false', 'Get only the keys'),
  flag('print-value-only', 'bool', 'false', 'Only write values when using the "simple" output format'),
];

export const DEL_FLAGS: FlagDef[] = [
  flag('prefix', 'bool', 'false', 'delete keys with matching prefix'),
  flag('prev-kv', 'bool', 'false', 'return deleted key-value pairs'),
  flag('from-key', 'bool', 'false', 'delete keys that are greater than or equal to the given key using byte compare'),
];

export const COMPACTION_FLAGS: FlagDef[] = [flag('physical', 'bool', 'false', "'true' to wait for compaction to physically remove all old revisions")];

// lease-commands
export const TIMETOLIVE_FLAGS = [flag('keys', 'bool', 'false', 'Get keys attached to this lease')];

export const KEEPALIVE_FLAGS = [flag('once', 'bool', 'false', 'Resets the keep-alive time to its original value and exits immediately')];

// lock-command
export const LOCK_FLAGS = [flag('ttl', 'int', '10', 'timeout for session')];

// elect-command
export const ELECT_FLAGS = [flag('listen', 'bool', 'false', 'observation mode', 'l')];

// make-mirror-command
export const MAKE_MIRROR_FLAGS = [
  flag('prefix', 'string', '', 'Key-value prefix to mirror'),
  flag('dest-prefix', 'string', '', 'destination prefix to mirror a prefix to a different prefix in the destination cluster'),
  flag('no-dest-prefix', 'bool', 'false', 'mirror key-values to the root of the destination cluster'),
  flag('dest-cert', 'string', '', 'Identify secure client using this TLS certificate file for the destination cluster'),
  flag('dest-key', 'string', '', 'Identify secure client using this TLS key file'),
  flag('dest-cacert', 'string', '', 'Verify certificates of TLS enabled secure servers using this CA bundle'),
  flag('dest-insecure-transport', 'bool', 'true', 'Disable transport security for client connections'),
];

// check-perf-command
export const CHECK_PERF_FLAGS = [
  flag('load', 'string', 's', "The performance check's workload model. Accepted workloads: s(small), m(medium), l(large), xl(xLarge)"),
  flag('prefix', 'string', '/etcdctl-check-perf/', "The prefix for writing the performance check's keys."),
  flag('auto-compact', 'bool', 'false', 'Compact storage with last revision after test is finished.'),
  flag('auto-defrag', 'bool', 'false', 'Defragment storage after test is finished.'),
];

// check-datascale-command
export const CHECK_DATASCALE_FLAGS = [
  flag('load', 'string', 's', "The datascale check's workload model. Accepted workloads: s(small), m(medium), l(large), xl(xLarge)"),
  flag('prefix', 'string', '/etcdctl-check-datascale/', "The prefix for writing the datascale check's keys."),
  flag('auto-compact', 'bool', 'false', 'Compact storage with last revision after test is finished.'),
  flag('auto-defrag', 'bool', 'false', 'Defragment storage after test is finished.'),
];

export const CHECK_DATASCALE_LONG = 'If no endpoint is provided, localhost will be used. If multiple endpoints are provided, first endpoint will be used.';

// snapshot-commands
export const RESTORE_FLAGS: FlagDef[] = [
  flag('data-dir', 'string', '', 'Path to the data directory'),
  flag('wal-dir', 'string', '', 'Path to the WAL directory (use --data-dir if none given)'),
  flag('initial-cluster', 'string', 'default=http://localhost:2380', 'Initial cluster configuration for restore bootstrap'),
  flag('initial-cluster-token', 'string', 'etcd-cluster', 'Initial cluster token for the etcd cluster during restore bootstrap'),
  flag('initial-advertise-peer-urls', 'string', 'http://localhost:2380', "List of this member's peer URLs to advertise to the rest of the cluster"),
  flag('name', 'string', 'default', 'Human-readable name for this member'),
  flag('skip-hash-check', 'bool', 'false', 'Ignore snapshot integrity hash value (required if copied from data directory)'),
];

export const STATUS_LONG = `When --write-out is set to simple, this command prints out comma-separated status lists for each endpoint.
The items in the lists are hash, revision, total keys, total size.
`;

// role-commands
export const ROLE_GRANT_FLAGS = [
  flag('from-key', 'bool', 'false', 'grant a permission of keys that are greater than or equal to the given key using byte compare'),
  flag('prefix', 'bool', 'false', 'grant a prefix permission'),
];

export const ROLE_REVOKE_FLAGS = [
  flag('from-key', 'bool', 'false', 'revoke a permission of keys that are greater than or equal to the given key using byte compare'),
  flag('prefix', 'bool', 'false', 'revoke a prefix permission'),
];

// user-commands
export const USER_ADD_FLAGS = [
  flag('interactive', 'bool', 'true', 'Read password from stdin instead of interactive terminal'),
  flag('new-user-password', 'string', '', 'Supply password from the command line flag'),
  flag('no-password', 'bool', 'false', 'Create a user without password (CN based auth only)'),
];

export const USER_GET_FLAGS = [flag('detail', 'bool', 'false', 'Show permissions of roles granted to the user')];

export const USER_PASSWD_FLAGS = [flag('interactive', 'bool', 'true', 'If true, read password from stdin instead of interactive terminal')];
