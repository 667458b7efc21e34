// etcdctl txn's input language, read line by line: compares until an empty line, then
// success ops until an empty line, then failure ops until an empty line.
//
//   value("foo") = "bar"        mod("k") > "10"     version("k") != "0"
//   put foo baz                 get foo --prefix    del foo

import {
  Compare,
  Compare_CompareResult,
  Compare_CompareTarget,
  RequestOp,
  TxnRequest,
} from '../../gen/etcdserverpb/rpc.js';
import { CtlError as UsageError, ExitCode, GoPanic } from './errors.js';
import { FlagValues, parseFlags, type FlagDef as CtlFlag } from './flags.js';
import { buildDel, buildGet, buildPut, DEL_FLAGS, GET_FLAGS, PUT_FLAGS } from './kv-commands.js';

/** Splits a line into words; double-quoted words may contain spaces and Go escapes. */
export function argify(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    out.push(m[1] !== undefined ? (JSON.parse(`"${m[1]}"`) as string) : m[2]!);
  }
  return out;
}

const OPS: Record<string, Compare_CompareResult> = {
  '=': Compare_CompareResult.EQUAL,
  '!=': Compare_CompareResult.NOT_EQUAL,
  '>': Compare_CompareResult.GREATER,
  '<': Compare_CompareResult.LESS,
};

export function parseCompare(line: string): Compare {
  const trimmed = line.replace(/\n$/, '');
  const paren = trimmed.indexOf('(');
  if (paren < 0) throw new Error(`malformed comparison: ${line}`);
  const target = trimmed.slice(0, paren);
  const m = /^\s*"((?:[^"\\]|\\.)*)"\)\s+(\S+)\s+"((?:[^"\\]|\\.)*)"/.exec(trimmed.slice(paren + 1));
  if (!m) throw new Error(`malformed comparison: ${line}`);
  const key = Buffer.from(JSON.parse(`"${m[1]}"`) as string);
  const result = OPS[m[2]!];
  // etcdctl hands an unknown operator to clientv3, which panics.
  if (result === undefined) throw new GoPanic('Unknown result op');
  const val = JSON.parse(`"${m[3]}"`) as string;
  const int = (): bigint => {
    if (!/^[+-]?\d+$/.test(val)) throw new Error(`invalid txn compare request: ${line}`);
    return BigInt(val);
  };
  switch (target) {
    case 'ver':
    case 'version':
      return Compare.fromPartial({ key, result, target: Compare_CompareTarget.VERSION, version: int() });
    case 'c':
    case 'create':
      return Compare.fromPartial({ key, result, target: Compare_CompareTarget.CREATE, createRevision: int() });
    case 'm':
    case 'mod':
      return Compare.fromPartial({ key, result, target: Compare_CompareTarget.MOD, modRevision: int() });
    case 'val':
    case 'value':
      return Compare.fromPartial({ key, result, target: Compare_CompareTarget.VALUE, value: Buffer.from(val) });
    case 'lease':
      // etcdctl 3.4 passes the lease as an int64, which clientv3's Compare refuses with a panic.
      int();
      throw new GoPanic('bad value');
    default:
      throw new Error(`malformed comparison: ${line} (unknown target ${target})`);
  }
}

const OP_FLAGS: Record<string, CtlFlag[]> = { put: PUT_FLAGS, get: GET_FLAGS, del: DEL_FLAGS };

/**
 * One success/failure line: etcdctl runs it through its own put/get/del commands, so
 * their argument errors surface unchanged while a bad command or flag is reported as
 * an invalid request. stdin is spent by then: a put without a value is an error.
 */
export function parseRequestOp(line: string): RequestOp {
  const args = argify(line);
  if (args.length < 2) throw new UsageError(`invalid txn compare request: ${line}`, ExitCode.InvalidInput);
  const invalid = () => new UsageError(`invalid txn request: ${line}`, ExitCode.InvalidInput);
  const cmd = args[0]!;
  const defs = OP_FLAGS[cmd];
  if (!defs) throw invalid();
  const values = new FlagValues(defs);
  let rest: string[];
  try {
    rest = parseFlags(args.slice(1), values);
  } catch {
    throw invalid();
  }
  if (cmd === 'put') {
    const noStdin = (): Buffer => {
      throw new UsageError('put command needs 1 argument and input from stdin or 2 arguments', ExitCode.BadArgs);
    };
    return RequestOp.fromPartial({ requestPut: buildPut(rest, values, noStdin) });
  }
  if (cmd === 'get') return RequestOp.fromPartial({ requestRange: buildGet(rest, values) });
  return RequestOp.fromPartial({ requestDeleteRange: buildDel(rest, values) });
}

/** Reads the three sections from `lines` (each ending with "\n" except possibly at EOF). */
export function parseTxn(lines: Iterator<string>, prompt?: (text: string) => void): TxnRequest {
  const section = <T>(parse: (line: string) => T): T[] => {
    const out: T[] = [];
    for (;;) {
      const next = lines.next();
      if (next.done) throw new UsageError('EOF', ExitCode.InvalidInput);
      if (next.value.trim() === '') return out;
      try {
        out.push(parse(next.value.replace(/\r?\n$/, '')));
      } catch (err) {
        if (err instanceof UsageError || err instanceof GoPanic) throw err;
        throw new UsageError((err as Error).message, ExitCode.InvalidInput);
      }
    }
  };
  prompt?.('compares:\n');
  const compare = section(parseCompare);
  prompt?.('success requests (get, put, del):\n');
  const success = section(parseRequestOp);
  prompt?.('failure requests (get, put, del):\n');
  const failure = section(parseRequestOp);
  return TxnRequest.fromPartial({ compare, success, failure });
}
