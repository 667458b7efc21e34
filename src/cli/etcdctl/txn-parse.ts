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
import { byteStringBytes, byteStringOf } from '../../pkg/byte-string.js';
import { goQuote } from '../../pkg/go-quote.js';
import { GO_INVALID_SYNTAX, scanGoQuoted } from './go-quoted.js';
import { cobraUsage } from './pflag-usage.js';
import { buildDel, buildGet, buildPut } from './kv-commands.js';
import { DEL_FLAGS, GET_FLAGS, PUT_FLAGS } from './command-flags.js';

/** Go's \s and \S in regexp (ASCII white space only; \v is not one of them). */
const WORDS = /"(?:[^"\\]|\\[^\n])*"|'[^']*'|[^'"\t\n\f\r ][^\t\n\f\r ]*[^'"\t\n\f\r ]?/g;

/**
 * etcdctl's argify: splits a line (a byte string) into words. A double-quoted word is
 * unquoted with Go's %q rules (escapes such as \xff give raw bytes, a bad one ends the
 * command with "invalid syntax"); bare words keep their bytes. A single-quoted word is
 * cut to [1, number of words - 1) as etcdctl 3.4 cuts it (a slip of its own: it meant
 * the word's length), and Go panics when that is out of the word's bounds.
 */
export function argify(line: string): string[] {
  const words = line.match(WORDS) ?? [];
  return words.map((w) => {
    if (w.startsWith("'")) {
      const bytes = byteStringBytes(w);
      const end = words.length - 1;
      if (end > bytes.length) throw new GoPanic(`runtime error: slice bounds out of range [:${end}] with length ${bytes.length}`);
      if (end < 1) throw new GoPanic(`runtime error: slice bounds out of range [1:${end}]`);
      return byteStringOf(bytes.subarray(1, end));
    }
    if (w.startsWith('"')) {
      const q = scanGoQuoted(w);
      if (q === undefined || 'syntax' in q) throw new UsageError(GO_INVALID_SYNTAX, ExitCode.InvalidInput);
      return byteStringOf(q.bytes);
    }
    return w;
  });
}

const OPS: Record<string, Compare_CompareResult> = {
  '=': Compare_CompareResult.EQUAL,
  '!=': Compare_CompareResult.NOT_EQUAL,
  '>': Compare_CompareResult.GREATER,
  '<': Compare_CompareResult.LESS,
};

/**
 * etcdctl scans `target("key") op "value"` with Sscanf("%q) %s %q"), reading runes (an
 * invalid byte is U+FFFD) and unquoting with Go's escapes: when fewer than the three
 * fields scan, its error shows what did ("; got value(\"k1\")  \"\"").
 */
function scanCompare(rest: string): { key?: Buffer; op?: string; val?: Buffer } {
  const k = scanGoQuoted(rest);
  if (k === undefined || 'syntax' in k) return {};
  const key = k.bytes;
  let tail = k.rest;
  if (!tail.startsWith(')')) return { key };
  tail = tail.slice(1);
  // A space in Sscanf's format must consume at least one space of the input.
  const o = /^\s+(\S+)/.exec(tail);
  if (!o) return { key };
  const op = o[1]!;
  const v = scanGoQuoted(tail.slice(o[0].length));
  if (v === undefined || 'syntax' in v) return { key, op };
  return { key, op, val: v.bytes };
}

export function parseCompare(line: string): Compare {
  const trimmed = line.replace(/\n$/, '');
  const paren = trimmed.indexOf('(');
  if (paren < 0) throw new Error(`malformed comparison: ${line}`);
  const target = trimmed.slice(0, paren);
  const scanned = scanCompare(trimmed.slice(paren + 1));
  if (scanned.val === undefined) {
    const q = (t: Buffer | undefined) => goQuote(t ?? Buffer.alloc(0));
    throw new Error(`malformed comparison: ${line}; got ${target}(${q(scanned.key)}) ${scanned.op ?? ''} ${q(scanned.val)}`);
  }
  const key = scanned.key!;
  const valBytes = scanned.val;
  const val = byteStringOf(valBytes);
  // etcdctl parses the value before handing the operator to clientv3, which panics on an unknown one.
  const result = (): Compare_CompareResult => {
    const r = OPS[scanned.op!];
    if (r === undefined) throw new GoPanic('Unknown result op');
    return r;
  };
  const int = (): bigint => {
    if (!/^[+-]?\d+$/.test(val)) throw new Error(`invalid txn compare request: ${line}`);
    return BigInt(val);
  };
  switch (target) {
    case 'ver':
    case 'version': {
      const version = int();
      return Compare.fromPartial({ key, result: result(), target: Compare_CompareTarget.VERSION, version });
    }
    case 'c':
    case 'create': {
      const createRevision = int();
      return Compare.fromPartial({ key, result: result(), target: Compare_CompareTarget.CREATE, createRevision });
    }
    case 'm':
    case 'mod': {
      const modRevision = int();
      return Compare.fromPartial({ key, result: result(), target: Compare_CompareTarget.MOD, modRevision });
    }
    case 'val':
    case 'value':
      return Compare.fromPartial({ key, result: result(), target: Compare_CompareTarget.VALUE, value: valBytes });
    case 'lease':
      // etcdctl 3.4 hands the lease to clientv3's Compare as a string, which it refuses with
      // a panic whatever the text (after checking the operator).
      result();
      throw new GoPanic('bad value');
    default:
      throw new Error(`malformed comparison: ${line} (unknown target ${target})`);
  }
}

const OP_FLAGS: Record<string, CtlFlag[]> = { put: PUT_FLAGS, get: GET_FLAGS, del: DEL_FLAGS };
const OP_USE: Record<string, string> = {
  put: 'put [options] <key> <value> (<value> can also be given from stdin)',
  get: 'get [options] <key> [range_end]',
  del: 'del [options] <key> [range_end]',
};

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
    // cobra prints the op command's usage after a flag it cannot parse.
    throw new UsageError(`invalid txn request: ${line}`, ExitCode.InvalidInput, cobraUsage(OP_USE[cmd]!, defs, cmd));
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
