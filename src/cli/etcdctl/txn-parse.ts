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
import { buildDel, buildGet, buildPut, DEL_FLAGS, ExitCode, GET_FLAGS, PUT_FLAGS } from './kv-commands.js';
import { parseCommandLine, UsageError } from './pflag.js';

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
  if (result === undefined) throw new Error(`malformed comparison: ${line}`);
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
      return Compare.fromPartial({ key, result, target: Compare_CompareTarget.LEASE, lease: int() });
    default:
      throw new Error(`malformed comparison: ${line} (unknown target ${target})`);
  }
}

export function parseRequestOp(line: string): RequestOp {
  const args = argify(line);
  if (args.length < 2) throw new Error(`invalid txn compare request: ${line}`);
  try {
    const parsed = parseCommandLine(args, [], [
      { path: ['put'], flags: PUT_FLAGS },
      { path: ['get'], flags: GET_FLAGS },
      { path: ['del'], flags: DEL_FLAGS },
    ], {});
    const [cmd] = parsed.command.path;
    if (cmd === 'put') return RequestOp.fromPartial({ requestPut: buildPut(parsed.args, parsed.values, () => Buffer.alloc(0)) });
    if (cmd === 'get') return RequestOp.fromPartial({ requestRange: buildGet(parsed.args, parsed.values) });
    return RequestOp.fromPartial({ requestDeleteRange: buildDel(parsed.args, parsed.values) });
  } catch {
    throw new Error(`invalid txn request: ${line}`);
  }
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
        out.push(parse(next.value));
      } catch (err) {
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

/**
 * Splits input into lines that keep their "\n". A final line without "\n" is dropped:
 * etcdctl reads with ReadString('\n'), which reports EOF for it.
 */
export function* inputLines(text: string): Generator<string> {
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\n') {
      yield text.slice(start, i + 1);
      start = i + 1;
    }
  }
}
