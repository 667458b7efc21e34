// Printer golden tests, no server needed: each response the real etcdctl printed with
// -w json (test/cli/fixtures) is decoded back into the gRPC message and printed by our
// printers in every format; the bytes must equal what etcdctl 3.4.23 printed for the
// same command in that format. Read-only commands were recorded in all formats in a row,
// so one decoded response serves all of them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeleteRangeResponse, MemberListResponse, PutResponse, RangeResponse, StatusResponse, TxnResponse } from '../../src/gen/etcdserverpb/rpc.js';
import { Output } from '../../src/cli/etcdctl/output.js';
import { newPrinter } from '../../src/cli/etcdctl/printers.js';
import { display, type EndpointStatus, type Printer } from '../../src/cli/etcdctl/printer.js';
import { CtlError } from '../../src/cli/etcdctl/errors.js';
import { loadFixture, normalizeDbSize, type Recorded } from './harness.js';

/** Go JSON with 64-bit numbers as strings (exact), and oneofs in ts-proto's shape. */
function decodeGoJson(text: string): unknown {
  const exact = text.replace(/<n>/g, '20480').replace(/([:[,])(-?\d+)(?=[,\]}])/g, '$1"$2"');
  const fix = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(fix);
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('Response' in o) {
        const [[k, inner]] = Object.entries(o.Response as Record<string, unknown>) as [[string, unknown]];
        return { [k.replace(/^Response/, 'response').replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)]: fix(inner) };
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fix(x)]));
    }
    return v;
  };
  return fix(JSON.parse(exact));
}

type Kind = 'put' | 'get' | 'del' | 'txn' | 'memberList' | 'endpointStatus';

function kindOf(args: string[]): Kind | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  if (words[0] === 'member' && words[1] === 'list') return 'memberList';
  if (words[0] === 'endpoint' && words[1] === 'status') return 'endpointStatus';
  return (['put', 'get', 'del', 'txn'] as const).find((k) => k === words[0]);
}

function decode(kind: Kind, json: string): unknown {
  const o = decodeGoJson(json);
  switch (kind) {
    case 'put':
      return PutResponse.fromJSON(o);
    case 'get':
      return RangeResponse.fromJSON(o);
    case 'del':
      return DeleteRangeResponse.fromJSON(o);
    case 'txn':
      return TxnResponse.fromJSON(o);
    case 'memberList':
      return MemberListResponse.fromJSON(o);
    case 'endpointStatus':
      return (o as { Endpoint: string; Status: unknown }[]).map((e): EndpointStatus => ({ endpoint: e.Endpoint, status: StatusResponse.fromJSON(e.Status) }));
  }
}

/** Prints `resp` as etcdctl would for `args`; returns stdout, stderr and the exit code. */
function print(kind: Kind, resp: unknown, args: string[]): { stdout: Buffer; stderr: string; exit: number } {
  const out = new Output();
  const err = new Output();
  const w = args[args.indexOf('-w') + 1] ?? 'simple';
  const { format, printer } = newPrinter(args.includes('-w') ? w : 'simple', { out, err, hex: args.includes('--hex') });
  try {
    display(printer as Printer, format, kind, resp as never, { valueOnly: args.includes('--print-value-only') } as never);
  } catch (e) {
    if (!(e instanceof CtlError)) throw e;
    err.line(`Error: ${e.message}`);
    return { stdout: out.bytes(), stderr: err.bytes().toString(), exit: e.exitCode };
  }
  return { stdout: out.bytes(), stderr: err.bytes().toString(), exit: 0 };
}

function expectedStdout(r: Recorded): Buffer {
  return r.stdoutBase64 !== undefined ? Buffer.from(r.stdoutBase64, 'base64') : Buffer.from(r.stdout);
}

/** The command without its output flags: the key for "same command, other format". */
function baseOf(args: string[]): string {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-w') i++;
    else if (args[i] !== '--hex') out.push(args[i]!);
  }
  return out.join(' ');
}

const READ_ONLY: Kind[] = ['get', 'memberList', 'endpointStatus'];

for (const name of ['put', 'get', 'del', 'txn', 'cluster']) {
  test(`printers reproduce etcdctl 3.4.23's output for the "${name}" fixtures`, () => {
    const cases = loadFixture(name).cases;
    let checked = 0;
    cases.forEach((c, i) => {
      const kind = kindOf(c.args);
      const w = c.args[c.args.indexOf('-w') + 1];
      const interactive = c.args.includes('-i') || c.args.includes('--interactive');
      if (!kind || c.exit !== 0 || !c.args.includes('-w') || w !== 'json' || c.stdout === '' || interactive) return;
      const resp = decode(kind, c.stdout.trimEnd());
      // The JSON printer round-trips every response exactly, 64-bit ids included.
      assert.equal(normalizeDbSize(print(kind, resp, c.args).stdout.toString()), c.stdout, `#${i} ${c.args.join(' ')}`);
      checked++;
      const readOnly = READ_ONLY.includes(kind) || (kind === 'del' && /"deleted"/.test(c.stdout) === false);
      if (!readOnly) return;
      // The unbroken run of the same command in other formats saw the same response.
      let first = i;
      while (first > 0 && baseOf(cases[first - 1]!.args) === baseOf(c.args)) first--;
      for (let j = first; j < cases.length && baseOf(cases[j]!.args) === baseOf(c.args); j++) {
        const other = cases[j]!;
        if (j === i) continue;
        const got = print(kind, resp, other.args);
        const stdout: Buffer = kind === 'endpointStatus' ? Buffer.from(normalizeDbSize(got.stdout.toString())) : got.stdout;
        assert.deepEqual(
          { stdout: stdout.toString('base64'), exit: got.exit, stderr: got.stderr },
          { stdout: expectedStdout(other).toString('base64'), exit: other.exit ?? -1, stderr: other.stderr },
          `#${j} ${other.args.join(' ')}`,
        );
        checked++;
      }
    });
    assert.ok(checked > 0, 'no json responses found in the fixture');
  });
}
