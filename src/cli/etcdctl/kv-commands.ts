// put, get, del and compaction: building the request from arguments and flags exactly
// as etcdctl does (prefix and from-key ranges, sort rules), and printing the answer.

import {
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RangeRequest_SortOrder,
  RangeRequest_SortTarget,
} from '../../gen/etcdserverpb/rpc.js';
import { boolFlag, UsageError, type CtlFlag } from './pflag.js';

/** etcdctl's exit codes. */
export const ExitCode = { Success: 0, Error: 1, BadConnection: 2, InvalidInput: 3, BadFeature: 4, Interrupted: 5, IO: 6, BadArgs: 128 } as const;

const f = (name: string, kind: CtlFlag['kind'], def: string, usage: string, short?: string): CtlFlag => ({ name, kind, default: def, usage, short });

export const PUT_FLAGS: CtlFlag[] = [
  f('lease', 'string', '0', 'lease ID (in hexadecimal) to attach to the key'),
  f('prev-kv', 'bool', 'false', 'return the previous key-value pair before modification'),
  f('ignore-value', 'bool', 'false', 'updates the key using its current value'),
  f('ignore-lease', 'bool', 'false', 'updates the key using its current lease'),
];

export const GET_FLAGS: CtlFlag[] = [
  f('consistency', 'string', 'l', 'Linearizable(l) or Serializable(s)'),
  f('order', 'string', '', 'Order of results; ASCEND or DESCEND (ASCEND by default)'),
  f('sort-by', 'string', '', 'Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION'),
  f('limit', 'int', '0', 'Maximum number of results'),
  f('prefix', 'bool', 'false', 'Get keys with matching prefix'),
  f('from-key', 'bool', 'false', 'Get keys that are greater than or equal to the given key using byte compare'),
  f('rev', 'int', '0', 'Specify the kv revision'),
  f('keys-only', 'bool', 'false', 'Get only the keys'),
  { ...f('count-only', 'bool', 'false', 'Get only the count'), hidden: true },
  f('print-value-only', 'bool', 'false', 'Only write values when using the "simple" output format'),
];

export const DEL_FLAGS: CtlFlag[] = [
  f('prefix', 'bool', 'false', 'delete keys with matching prefix'),
  f('prev-kv', 'bool', 'false', 'return deleted key-value pairs'),
  f('from-key', 'bool', 'false', 'delete keys that are greater than or equal to the given key using byte compare'),
];

export const COMPACTION_FLAGS: CtlFlag[] = [f('physical', 'bool', 'false', "'true' to wait for compaction to physically remove all old revisions")];

/** The smallest key greater than every key with this prefix; "\0" when there is none. */
export function prefixEnd(key: Buffer): Buffer {
  const end = Buffer.from(key);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

type Values = Map<string, string>;

export function buildPut(args: string[], values: Values, stdin: () => Buffer): PutRequest {
  let key: string | undefined;
  let value: Buffer;
  if (args.length === 1) {
    key = args[0]!;
    value = stdin();
  } else if (args.length >= 2) {
    key = args[0]!;
    value = Buffer.from(args[1]!);
  } else {
    throw new UsageError('put command needs 1 argument and input from stdin or 2 arguments', ExitCode.BadArgs);
  }
  const leaseText = values.get('lease')!;
  let lease = 0n;
  try {
    lease = BigInt(`0x${leaseText}`);
  } catch {
    throw new UsageError(`bad lease ID (strconv.ParseInt: parsing "${leaseText}": invalid syntax), expecting ID in Hex`, ExitCode.BadArgs);
  }
  const ignoreValue = boolFlag(values.get('ignore-value'));
  if (ignoreValue && args.length === 1) value = Buffer.alloc(0);
  return PutRequest.fromPartial({
    key: Buffer.from(key),
    value,
    lease,
    prevKv: boolFlag(values.get('prev-kv')),
    ignoreValue,
    ignoreLease: boolFlag(values.get('ignore-lease')),
  });
}

function keyRange(cmd: string, args: string[], values: Values): { key: Buffer; rangeEnd: Buffer } {
  if (args.length === 0 || args.length > 2) {
    throw new UsageError(`${cmd} command needs one argument as key and an optional argument as range_end`, ExitCode.BadArgs);
  }
  const prefix = boolFlag(values.get('prefix'));
  const fromKey = boolFlag(values.get('from-key'));
  if (prefix && fromKey) throw new UsageError('`--prefix` and `--from-key` cannot be set at the same time, choose one', ExitCode.BadArgs);
  let key: Buffer = Buffer.from(args[0]!);
  let rangeEnd: Buffer = Buffer.alloc(0);
  if (args.length === 2) {
    if (prefix) throw new UsageError("too many arguments, only accept one argument when `--prefix` is set.", ExitCode.BadArgs);
    rangeEnd = Buffer.from(args[1]!);
  }
  if (prefix) {
    if (key.length === 0) {
      key = Buffer.from([0]);
      rangeEnd = Buffer.from([0]);
    } else {
      rangeEnd = prefixEnd(key);
    }
  }
  if (fromKey) {
    if (key.length === 0) key = Buffer.from([0]);
    rangeEnd = Buffer.from([0]);
  }
  return { key, rangeEnd };
}

const SORT_TARGETS: Record<string, RangeRequest_SortTarget> = {
  CREATE: RangeRequest_SortTarget.CREATE,
  KEY: RangeRequest_SortTarget.KEY,
  MODIFY: RangeRequest_SortTarget.MOD,
  VALUE: RangeRequest_SortTarget.VALUE,
  VERSION: RangeRequest_SortTarget.VERSION,
};

export function buildGet(args: string[], values: Values): RangeRequest {
  const { key, rangeEnd } = keyRange('get', args, values);
  const consistency = values.get('consistency')!;
  if (consistency !== 'l' && consistency !== 's') throw new UsageError(`unknown consistency flag "${consistency}"`, ExitCode.BadFeature);
  let order = RangeRequest_SortOrder.NONE;
  const orderText = values.get('order')!;
  if (orderText === 'ASCEND') order = RangeRequest_SortOrder.ASCEND;
  else if (orderText === 'DESCEND') order = RangeRequest_SortOrder.DESCEND;
  else if (orderText !== '') throw new UsageError(`bad sort order ${orderText}`, ExitCode.BadFeature);
  let target = RangeRequest_SortTarget.KEY;
  const targetText = values.get('sort-by')!;
  if (targetText !== '') {
    const t = SORT_TARGETS[targetText];
    if (t === undefined) throw new UsageError(`bad sort target ${targetText}`, ExitCode.BadFeature);
    target = t;
  }
  // Keys come back in ascending key order anyway; asking for it would make the server sort.
  if (target === RangeRequest_SortTarget.KEY && order === RangeRequest_SortOrder.ASCEND) order = RangeRequest_SortOrder.NONE;
  return RangeRequest.fromPartial({
    key,
    rangeEnd,
    limit: BigInt(values.get('limit')!),
    revision: BigInt(values.get('rev')!),
    sortOrder: order,
    sortTarget: target,
    serializable: consistency === 's',
    keysOnly: boolFlag(values.get('keys-only')),
    countOnly: boolFlag(values.get('count-only')),
  });
}

export function buildDel(args: string[], values: Values): DeleteRangeRequest {
  const { key, rangeEnd } = keyRange('del', args, values);
  return DeleteRangeRequest.fromPartial({ key, rangeEnd, prevKv: boolFlag(values.get('prev-kv')) });
}
