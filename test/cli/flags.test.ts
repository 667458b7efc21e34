// Table tests for the pflag/cobra parser: every flag form etcdctl users type, Go's value
// syntax and error texts, string slices, and cobra's command finding and suggestions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flag, FlagError, FlagValues, parseFlags, parseGoDuration, parseGoInt, type FlagDef } from '../../src/cli/etcdctl/flags.js';
import { findCommand, stripFlags, suggestionsFor, type CommandDef } from '../../src/cli/etcdctl/command-tree.js';
import { tabwrite } from '../../src/cli/etcdctl/tabwriter.js';
import { applyEnv, FatalLog, GLOBAL_FLAGS } from '../../src/cli/etcdctl/global-flags.js';
import { goFixed, humanizeBytes } from '../../src/cli/etcdctl/go-format.js';

const DEFS: FlagDef[] = [
  flag('write-out', 'string', 'simple', 'format', 'w'),
  flag('hex', 'bool', 'false', 'hex'),
  flag('prefix', 'bool', 'false', 'prefix'),
  flag('interactive', 'bool', 'false', 'interactive', 'i'),
  flag('limit', 'int', '0', 'limit'),
  flag('dial-timeout', 'duration', '2s', 'dial'),
  flag('endpoints', 'strings', '127.0.0.1:2379', 'endpoints'),
];

function parse(args: string[]): { pos: string[]; v: FlagValues } {
  const v = new FlagValues(DEFS);
  return { pos: parseFlags(args, v), v };
}

test('flag forms: --x=v, --x v, -x v, -xv, -x=v, bare booleans, --bool=false, -- ends flags', () => {
  const cases: [string[], string, string, string[]][] = [
    [['--write-out=json', 'k'], 'write-out', 'json', ['k']],
    [['--write-out', 'json', 'k'], 'write-out', 'json', ['k']],
    [['-w', 'table'], 'write-out', 'table', []],
    [['-wjson'], 'write-out', 'json', []],
    [['-w=fields'], 'write-out', 'fields', []],
    [['k', '--hex'], 'hex', 'true', ['k']],
    [['--hex=false', 'k'], 'hex', 'false', ['k']],
    [['--hex', 'true'], 'hex', 'true', ['true']],
    [['-i'], 'interactive', 'true', []],
    [['--', '--prefix', '-w'], 'prefix', 'false', ['--prefix', '-w']],
    [['-', 'x'], 'write-out', 'simple', ['-', 'x']],
    [['--limit', '-1'], 'limit', '-1', []],
    [['--limit=0x10'], 'limit', '0x10', []],
  ];
  for (const [args, name, value, pos] of cases) {
    const r = parse(args);
    assert.equal(r.v.string(name), value, args.join(' '));
    assert.deepEqual(r.pos, pos, args.join(' '));
  }
});

test('flag errors carry pflag\'s wording', () => {
  const cases: [string[], string][] = [
    [['--foo'], 'unknown flag: --foo'],
    [['--foo=1'], 'unknown flag: --foo'],
    [['-x'], "unknown shorthand flag: 'x' in -x"],
    [['-1'], "unknown shorthand flag: '1' in -1"],
    [['--limit'], 'flag needs an argument: --limit'],
    [['-w'], "flag needs an argument: 'w' in -w"],
    [['--hex=maybe'], 'invalid argument "maybe" for "--hex" flag: strconv.ParseBool: parsing "maybe": invalid syntax'],
    [['--limit', 'x'], 'invalid argument "x" for "--limit" flag: strconv.ParseInt: parsing "x": invalid syntax'],
    [['--limit', '9223372036854775808'], 'invalid argument "9223372036854775808" for "--limit" flag: strconv.ParseInt: parsing "9223372036854775808": value out of range'],
    [['--dial-timeout=x'], 'invalid argument "x" for "--dial-timeout" flag: time: invalid duration "x"'],
    [['--dial-timeout=5'], 'invalid argument "5" for "--dial-timeout" flag: time: missing unit in duration "5"'],
    [['--dial-timeout=5q'], 'invalid argument "5q" for "--dial-timeout" flag: time: unknown unit "q" in duration "5q"'],
    [['---x'], 'bad flag syntax: ---x'],
  ];
  for (const [args, msg] of cases) {
    assert.throws(() => parse(args), (e: unknown) => e instanceof FlagError && e.message === msg, args.join(' '));
  }
});

test('a string slice is read as CSV; its first use replaces the default, later ones append', () => {
  assert.deepEqual(parse([]).v.strings('endpoints'), ['127.0.0.1:2379']);
  assert.deepEqual(parse(['--endpoints=a:1,b:2']).v.strings('endpoints'), ['a:1', 'b:2']);
  assert.deepEqual(parse(['--endpoints=a:1', '--endpoints', 'b:2,c:3']).v.strings('endpoints'), ['a:1', 'b:2', 'c:3']);
  assert.deepEqual(parse(['--endpoints', 'a, b']).v.strings('endpoints'), ['a', ' b']);
  assert.deepEqual(parse(['--endpoints', '"a,b",c']).v.strings('endpoints'), ['a,b', 'c']);
  assert.equal(parse(['--endpoints=a,b']).v.display('endpoints'), '[a,b]');
});

test('Go number and duration syntax', () => {
  const ints: [string, bigint | string][] = [
    ['42', 42n],
    ['-7', -7n],
    ['0x1f', 31n],
    ['017', 15n],
    ['0b101', 5n],
    ['1_000', 'strconv.ParseInt: parsing "1_000": invalid syntax'],
    ['', 'strconv.ParseInt: parsing "": invalid syntax'],
  ];
  for (const [s, want] of ints) assert.equal(parseGoInt(s), want, s);
  assert.equal(parseGoInt('694d7e3b1c8f2a05', false, 16), 7587859739536468485n);
  assert.equal(parseGoInt('zz', false, 16), 'strconv.ParseInt: parsing "zz": invalid syntax');
  const durs: [string, number | string][] = [
    ['2s', 2e9],
    ['1m30s', 90e9],
    ['1.5h', 5400e9],
    ['300ms', 300e6],
    ['10us', 10e3],
    ['1µs', 1e3],
    ['0', 0],
    ['-1s', -1e9],
    ['', 'time: invalid duration ""'],
    ['.s', 'time: invalid duration ".s"'],
  ];
  for (const [s, want] of durs) assert.equal(parseGoDuration(s), want, s);
});

const ROOT: CommandDef = {
  name: 'etcdctl',
  short: 'root',
  subcommands: [
    { name: 'get', short: 'g', run: async () => 0 },
    { name: 'put', short: 'p', run: async () => 0 },
    { name: 'del', short: 'd', run: async () => 0 },
    { name: 'move-leader', short: 'm', run: async () => 0 },
    { name: 'member', short: 'm', subcommands: [{ name: 'list', short: 'l', run: async () => 0 }] },
    { name: 'make-mirror', short: 'm', run: async () => 0 },
    { name: 'user', short: 'u', subcommands: [] },
  ],
};
const GLOBALS = [flag('write-out', 'string', 'simple', 'w', 'w'), flag('hex', 'bool', 'false', 'h')];

test('cobra finds the command past flags, accepts a unique prefix, and leaves the rest', () => {
  const cases: [string[], string[], string[]][] = [
    [['get', 'k'], ['get'], ['k']],
    [['-w', 'json', 'get', 'k'], ['get'], ['-w', 'json', 'k']],
    [['--hex', 'get', 'k'], ['get'], ['--hex', 'k']],
    [['member', 'list', '-w', 'table'], ['member', 'list'], ['-w', 'table']],
    [['mem', 'li'], ['member', 'list'], []],
    [['m'], [], ['m']],
    [['--foo', 'get', 'k'], [], ['--foo', 'get', 'k']],
    [['--foo', 'get'], [], ['--foo', 'get']],
  ];
  for (const [args, path, rest] of cases) {
    const r = findCommand(ROOT, args, () => GLOBALS);
    assert.deepEqual(r.chain.slice(1).map((c) => c.name), path, args.join(' '));
    assert.deepEqual(r.args, rest, args.join(' '));
  }
  assert.deepEqual(stripFlags(['--foo', 'get', 'k'], GLOBALS), ['k']);
  assert.deepEqual(stripFlags(['--foo', 'get'], GLOBALS), []);
});

test('suggestions: Levenshtein distance 2 or a prefix, in the order commands were added', () => {
  assert.deepEqual(suggestionsFor(ROOT, 'set'), ['get', 'put', 'del', 'user']);
  assert.deepEqual(suggestionsFor(ROOT, 'm'), ['move-leader', 'member', 'make-mirror']);
  assert.deepEqual(suggestionsFor(ROOT, 'ls'), []);
});

test('tabwriter pads cells with tabs to a common tab stop per block, like Go\'s', () => {
  assert.equal(tabwrite('\ta\tx\n\tabcdefghij\ty\n'), '\ta\t\tx\n\tabcdefghij\ty\n');
  assert.equal(tabwrite('ab\tx\n\nabcdefghi\ty\n'), 'ab\tx\n\nabcdefghi\ty\n');
  assert.equal(tabwrite('no tabs\n'), 'no tabs\n');
});

test('ETCDCTL_* fills flags not given; a given one is fatal; unknown ones warn', () => {
  const v = new FlagValues(GLOBAL_FLAGS);
  parseFlags(['--hex'], v);
  const now = new Date(2026, 0, 2, 3, 4, 5, 6);
  const warnings = applyEnv(v, GLOBAL_FLAGS, { ETCDCTL_WRITE_OUT: 'json', ETCDCTL_DIAL_TIMEOUT: 'bad', ETCDCTL_BOGUS: 'x', ETCDCTL_API: '3' }, now);
  assert.equal(v.string('write-out'), 'json');
  assert.equal(v.string('dial-timeout'), '2s', 'a value the flag refuses is ignored');
  assert.deepEqual(warnings, ['2026-01-02 03:04:05.006000 W | pkg/flags: unrecognized environment variable ETCDCTL_BOGUS=x']);
  assert.throws(
    () => applyEnv(v, GLOBAL_FLAGS, { ETCDCTL_HEX: 'true' }, now),
    (e: unknown) =>
      e instanceof FatalLog &&
      e.message ===
        '2026-01-02 03:04:05.006000 C | pkg/flags: conflicting environment variable "ETCDCTL_HEX" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)',
  );
});

test('go-humanize sizes and Go\'s half-to-even formatting', () => {
  const cases: [number, string][] = [
    [0, '0 B'],
    [9, '9 B'],
    [20480, '20 kB'],
    [20500, '20 kB'],
    [21500, '22 kB'],
    [4096, '4.1 kB'],
    [1_500_000, '1.5 MB'],
  ];
  for (const [n, want] of cases) assert.equal(humanizeBytes(n), want, String(n));
  assert.equal(goFixed(0.5, 0), '0');
  assert.equal(goFixed(1.5, 0), '2');
  assert.equal(goFixed(2.25, 1), '2.2');
});
