// put, get, del and compaction: building the request from arguments and flags exactly
// as etcdctl does (prefix and from-key ranges, sort rules), and printing the answer.

import { goQuoteText } from '../../pkg/go-quote.js';
import {
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RangeRequest_SortOrder,
  RangeRequest_SortTarget,
} from '../../gen/etcdserverpb/rpc.js';
import type { Client } from '../../client/client.js';
import { CtlError as UsageError, ExitCode } from './errors.js';
import { display } from './printer.js';
import type { Session } from './session.js';
import { parseGoInt, type FlagValues } from './flags.js';

import { prefixRangeEnd as prefixEnd } from '../../pkg/prefix-range.js';
import { byteStringBytes } from '../../pkg/byte-string.js';

/** The range end of a prefix query, for the commands that take --prefix. */
export { prefixEnd };

type Values = FlagValues;

/**
 * put's request: the value from the second argument, else from stdin (read only then,
 * so `put k --ignore-value` never waits on a terminal); the lease in hexadecimal.
 */
export function buildPut(args: string[], values: Values, stdin: () => Buffer): PutRequest {
  const needArgs = () => new UsageError('put command needs 1 argument and input from stdin or 2 arguments', ExitCode.BadArgs);
  if (args.length === 0) throw needArgs();
  const ignoreValue = values.bool('ignore-value');
  if (ignoreValue && args.length > 1) throw new UsageError("put command needs only 1 argument when 'ignore-value' is set", ExitCode.BadArgs);
  let value: Buffer = Buffer.alloc(0);
  if (!ignoreValue) value = args.length >= 2 ? byteStringBytes(args[1]!) : stdin();
  // etcdctl takes an empty stdin as no value at all, not as an empty value.
  if (!ignoreValue && args.length < 2 && value.length === 0) throw needArgs();
  const leaseText = values.string('lease');
  const lease = parseGoInt(leaseText, false, 16);
  if (typeof lease === 'string') throw new UsageError(`bad lease ID (${lease}), expecting ID in Hex`, ExitCode.BadArgs);
  return PutRequest.fromPartial({
    key: byteStringBytes(args[0]!),
    value,
    lease,
    prevKv: values.bool('prev-kv'),
    ignoreValue,
    ignoreLease: values.bool('ignore-lease'),
  });
}

function keyRange(cmd: 'get' | 'del', args: string[], values: Values): { key: Buffer; rangeEnd: Buffer } {
  // get ignores arguments after range_end; del refuses them.
  if (args.length === 0 || (cmd === 'del' && args.length > 2)) {
    throw new UsageError(`${cmd} command needs one argument as key and an optional argument as range_end`, ExitCode.BadArgs);
  }
  const prefix = values.bool('prefix');
  const fromKey = values.bool('from-key');
  if (prefix && fromKey) throw new UsageError('`--prefix` and `--from-key` cannot be set at the same time, choose one', ExitCode.BadArgs);
  let key: Buffer = byteStringBytes(args[0]!);
  let rangeEnd: Buffer = Buffer.alloc(0);
  if (args.length >= 2) {
    if (prefix || fromKey) throw new UsageError("too many arguments, only accept one argument when `--prefix` or `--from-key` is set", ExitCode.BadArgs);
    rangeEnd = byteStringBytes(args[1]!);
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
  const consistency = values.string('consistency');
  if (consistency !== 'l' && consistency !== 's') throw new UsageError(`unknown consistency flag ${goQuoteText(consistency)}`, ExitCode.BadFeature);
  let order = RangeRequest_SortOrder.NONE;
  // etcdctl takes either case (`--order descend`, `--sort-by modify`) and names the value as typed when it is bad.
  const orderText = values.string('order');
  if (orderText.toUpperCase() === 'ASCEND') order = RangeRequest_SortOrder.ASCEND;
  else if (orderText.toUpperCase() === 'DESCEND') order = RangeRequest_SortOrder.DESCEND;
  else if (orderText !== '') throw new UsageError(`bad sort order ${orderText}`, ExitCode.BadFeature);
  let target = RangeRequest_SortTarget.KEY;
  const targetText = values.string('sort-by');
  if (targetText !== '') {
    const t = SORT_TARGETS[targetText.toUpperCase()];
    if (t === undefined) throw new UsageError(`bad sort target ${targetText}`, ExitCode.BadFeature);
    target = t;
  }
  // Keys come back in ascending key order anyway; asking for it would make the server sort.
  if (target === RangeRequest_SortTarget.KEY && order === RangeRequest_SortOrder.ASCEND) order = RangeRequest_SortOrder.NONE;
  return RangeRequest.fromPartial({
    key,
    rangeEnd,
    limit: values.int('limit'),
    revision: values.int('rev'),
    sortOrder: order,
    sortTarget: target,
    serializable: consistency === 's',
    keysOnly: values.bool('keys-only'),
  });
}

export function buildDel(args: string[], values: Values): DeleteRangeRequest {
  const { key, rangeEnd } = keyRange('del', args, values);
  return DeleteRangeRequest.fromPartial({ key, rangeEnd, prevKv: values.bool('prev-kv') });
}

// ---- runners ----

async function withClient<T>(s: Session, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = await s.client();
  try {
    return await s.call(() => fn(c));
  } finally {
    c.close();
  }
}

export async function putCommand(s: Session): Promise<number> {
  const req = buildPut(s.args, s.flags, () => s.stdin());
  const { format, printer } = s.printer();
  display(printer, format, 'put', await withClient(s, (c) => c.put(req)));
  return ExitCode.Success;
}

export async function getCommand(s: Session): Promise<number> {
  const req = buildGet(s.args, s.flags);
  const { format, printer } = s.printer();
  const valueOnly = s.flags.bool('print-value-only');
  if (valueOnly && format !== 'simple') throw new UsageError('print-value-only is only for `--write-out=simple`', ExitCode.BadArgs);
  const resp = await withClient(s, (c) => c.range(req));
  display(printer, format, 'get', resp, { valueOnly });
  return ExitCode.Success;
}

export async function delCommand(s: Session): Promise<number> {
  const req = buildDel(s.args, s.flags);
  const { format, printer } = s.printer();
  display(printer, format, 'del', await withClient(s, (c) => c.deleteRange(req)));
  return ExitCode.Success;
}

export async function compactionCommand(s: Session): Promise<number> {
  if (s.args.length !== 1) throw new UsageError('compaction command needs 1 argument', ExitCode.BadArgs);
  const rev = parseGoInt(s.args[0]!, false, 10);
  if (typeof rev === 'string') throw new UsageError(rev, ExitCode.Error);
  const physical = s.flags.bool('physical');
  await withClient(s, (c) => c.compact({ revision: rev, physical }));
  s.out.line(`compacted revision ${rev}`);
  return ExitCode.Success;
}
