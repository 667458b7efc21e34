// Go's flag, strconv, time and net/url syntax as etcd's flags inherit it: table tests
// pinning what Go accepts and the exact error text it prints.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoFlagSet, type GoFlagDef } from '../../src/pkg/go-flag.js';
import { formatGoDuration, parseGoBool, parseGoDuration, parseGoInt, parseGoUint } from '../../src/pkg/go-strconv.js';
import { newUrls, parseUrlsMap, uniqueUrls } from '../../src/pkg/go-url.js';
import { formatId, formatIdPadded, parseId } from '../../src/pkg/ids.js';

test('ParseUint/ParseInt with base 0: prefixes, octal, underscores, range', () => {
  const ok: [string, bigint][] = [['10', 10n], ['0x10', 16n], ['0X1f', 31n], ['017', 15n], ['0o17', 15n], ['0b101', 5n], ['1_000', 1000n], ['0x_1', 1n], ['0', 0n]];
  for (const [t, v] of ok) assert.equal(parseGoUint(t), v, t);
  for (const t of ['', 'abc', '1e3', '-1', '1__0', '_1', '1_', '08', '0x', ' 1']) assert.throws(() => parseGoUint(t), /invalid syntax/, t);
  assert.throws(() => parseGoUint('18446744073709551616'), /value out of range/);
  assert.equal(parseGoUint('18446744073709551615'), 2n ** 64n - 1n);
  assert.throws(() => parseGoUint('4294967296', 32), /strconv.ParseUint: parsing "4294967296": value out of range/);
  assert.equal(parseGoInt('-0x10'), -16n);
  assert.equal(parseGoInt('-9223372036854775808'), -(2n ** 63n));
  assert.throws(() => parseGoInt('9223372036854775808'), /value out of range/);
});

test('ParseBool and ParseDuration accept what Go accepts', () => {
  for (const t of ['1', 't', 'T', 'true', 'TRUE', 'True']) assert.equal(parseGoBool(t), true);
  for (const t of ['0', 'f', 'F', 'false', 'FALSE', 'False']) assert.equal(parseGoBool(t), false);
  for (const t of ['yes', 'tRuE', '']) assert.throws(() => parseGoBool(t));
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('100ms'), 100);
  assert.equal(parseGoDuration('1h30m'), 5_400_000);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDuration('-2s'), -2000);
  assert.equal(parseGoDuration('10us'), 0.01);
  assert.throws(() => parseGoDuration('10'), /missing unit/);
  assert.throws(() => parseGoDuration('abc'), /invalid duration/);
  assert.throws(() => parseGoDuration('5d'), /unknown unit "d"/);
  assert.deepEqual([0, 100, 1000, 60_000, 5_400_000, 7_200_000, 1500].map(formatGoDuration), ['0s', '100ms', '1s', '1m0s', '1h30m0s', '2h0m0s', '1.5s']);
});

const defs: GoFlagDef[] = [
  { name: 'name', defaultValue: 'default', parse: (t) => t },
  { name: 'x', defaultValue: false, isBool: true, parse: (t) => parseGoBool(t) },
  { name: 'n', defaultValue: 0, parse: (t) => Number(parseGoUint(t)) },
];

test('flag forms: -f v, --f v, -f=v, --f=v, bare and explicit booleans; "--" and non-flags stop parsing', () => {
  const cases: [string[], Record<string, unknown>, string[]][] = [
    [['-name', 'a'], { name: 'a' }, []],
    [['--name', 'a'], { name: 'a' }, []],
    [['-name=a=b'], { name: 'a=b' }, []],
    [['--name='], { name: '' }, []],
    [['--x'], { x: true }, []],
    [['-x=false'], { x: false }, []],
    [['--x', 'false'], { x: true }, ['false']],
    [['--name', '-x'], { name: '-x', x: false }, []],
    [['--', '--x'], { x: false }, ['--x']],
    [['-', '--x'], { x: false }, ['-', '--x']],
    [['stray', '--x'], { x: false }, ['stray', '--x']],
    [['--n', '1', '--n', '2'], { n: 2 }, []],
  ];
  for (const [argv, want, rest] of cases) {
    const fs = new GoFlagSet(defs);
    fs.parse(argv);
    for (const [k, v] of Object.entries(want)) assert.equal(fs.get(k), v, argv.join(' '));
    assert.deepEqual(fs.args, rest, argv.join(' '));
  }
});

test("flag errors are Go's messages", () => {
  const cases: [string[], string][] = [
    [['--bogus'], 'flag provided but not defined: -bogus'],
    [['-bogus=1'], 'flag provided but not defined: -bogus'],
    [['---x'], 'bad flag syntax: ---x'],
    [['-=x'], 'bad flag syntax: -=x'],
    [['--name'], 'flag needs an argument: -name'],
    [['--x=maybe'], 'invalid boolean value "maybe" for -x: strconv.ParseBool: parsing "maybe": invalid syntax'],
    [['--n', 'abc'], 'invalid value "abc" for flag -n: strconv.ParseUint: parsing "abc": invalid syntax'],
  ];
  for (const [argv, msg] of cases) assert.throws(() => new GoFlagSet(defs).parse(argv), { message: msg }, argv.join(' '));
  for (const h of ['-h', '--help', '-help']) assert.throws(() => new GoFlagSet(defs).parse([h]), (e: unknown) => (e as { help: boolean }).help === true);
});

test("URL lists follow etcd's types.NewURLs: validated, sorted, text kept as written", () => {
  assert.deepEqual(newUrls(['http://b:2', ' http://a:1 ']), ['http://a:1', 'http://b:2']);
  assert.deepEqual(newUrls(['HTTP://LocalHost:80']), ['http://LocalHost:80'], 'scheme lowercased, host and port untouched');
  assert.deepEqual(uniqueUrls('http://a:1,http://a:1'), ['http://a:1']);
  assert.deepEqual(newUrls(['unix://some/path']), ['unix://some/path']);
  assert.deepEqual(newUrls(['http://[::1]:2379']), ['http://[::1]:2379']);
  const bad: [string, string][] = [
    ['foo', 'URL scheme must be http, https, unix, or unixs: foo'],
    ['localhost:2379', 'URL scheme must be http, https, unix, or unixs: localhost:2379'],
    ['ftp://a:1', 'URL scheme must be http, https, unix, or unixs: ftp://a:1'],
    ['http://localhost', 'URL address does not have the form "host:port": http://localhost'],
    ['http://a:1/', 'URL must not contain a path: http://a:1/'],
    ['http://a:x', 'parse "http://a:x": invalid port ":x" after host'],
    ['http://[::1', `parse "http://[::1": missing ']' in host`],
    ['', 'URL scheme must be http, https, unix, or unixs: '],
  ];
  for (const [u, msg] of bad) assert.throws(() => newUrls([u]), { message: msg }, u);
});

test('--initial-cluster text parses as name → sorted URLs; names may repeat', () => {
  const m = parseUrlsMap('a=http://h:2,b=http://h:3,a=http://h:1');
  assert.deepEqual([...m], [['a', ['http://h:1', 'http://h:2']], ['b', ['http://h:3']]]);
  assert.throws(() => parseUrlsMap('a'), { message: 'URL scheme must be http, https, unix, or unixs: ' });
});

test('ids print as Go %x (no padding) and parse back', () => {
  assert.equal(formatId(0x8e9e05c52164694dn), '8e9e05c52164694d');
  assert.equal(formatId(0xabcn), 'abc');
  assert.equal(formatIdPadded(0xabcn), '0000000000000abc');
  assert.equal(parseId('8e9e05c52164694d'), 0x8e9e05c52164694dn);
  assert.equal(parseId('ABC'), 0xabcn);
  assert.throws(() => parseId('0x1'), /invalid syntax/);
  assert.throws(() => parseId('1ffffffffffffffff'), /value out of range/);
});
