// Arguments and stdin lines as Go's etcdctl sees them, as bytes: byte strings round-trip
// every byte sequence, the raw command line is matched against process.argv (or not
// used), and txn/watch lines split and unquote the way etcdctl 3.4's argify and Sscanf do.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byteStringBytes, byteStringOf, byteStringRunes } from '../../src/pkg/byte-string.js';
import { argsFromCmdline, cmdlineWords, processArgs } from '../../src/pkg/raw-argv.js';
import { envFromEnviron, processEnv } from '../../src/cli/etcdctl/raw-env.js';
import { argify, parseCompare, parseRequestOp } from '../../src/cli/etcdctl/txn-parse.js';
import { CtlError, GoPanic } from '../../src/cli/etcdctl/errors.js';
import { Output } from '../../src/cli/etcdctl/output.js';
import { goJsonString } from '../../src/cli/etcdctl/go-format.js';
import { goBackquoteText, goQuote, goQuoteRune } from '../../src/pkg/go-quote.js';
import { seeded } from '../helpers/seeded-random.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');
const bytes = (...parts: (string | Buffer)[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p)));

test('byte strings give back exactly the bytes they were made from', () => {
  const cases = [
    '', '61', 'ff', 'fffe', '80', 'c3', 'c3a9', 'c080', 'eda080', 'e282', 'e28278', 'f09f98', 'f09f9880',
    'f4908080', 'f09f9880ff', 'ff f09f9880', 'ed9fbf', 'efbfbd', 'c2 80 ff 00 7f',
  ];
  for (const c of cases) assert.deepEqual(byteStringBytes(byteStringOf(hex(c))), hex(c), c);
  const rnd = seeded(7);
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.from(Array.from({ length: Math.floor(rnd() * 12) }, () => Math.floor(rnd() * 256)));
    assert.deepEqual(byteStringBytes(byteStringOf(b)), b, b.toString('hex'));
  }
});

test('valid UTF-8 is an ordinary string; each invalid byte is one escape, read by Go as U+FFFD', () => {
  assert.equal(byteStringOf(Buffer.from('é😀 k')), 'é😀 k');
  assert.equal(byteStringOf(hex('ff61')).length, 2);
  assert.equal(byteStringOf(hex('f09f98')).length, 3, 'a cut-off sequence is three bytes, not one character');
  assert.equal(byteStringRunes(byteStringOf(hex('61ff f09f9880 e282'))), 'a\ufffd😀\ufffd\ufffd');
  // A lone surrogate that no decoding made (from JSON, say) is written as UTF-8 writes it.
  assert.deepEqual(byteStringBytes('\ud800x'), Buffer.from('\ufffdx'));
});

test('Output writes text holding escaped bytes as those bytes', () => {
  const o = new Output();
  o.line(`Error: bad sort order ${byteStringOf(hex('fe'))}`);
  assert.deepEqual(o.bytes(), Buffer.concat([Buffer.from('Error: bad sort order '), hex('fe0a')]));
});

function cmdline(...words: (string | Buffer)[]): Buffer {
  return Buffer.concat(words.flatMap((w) => [Buffer.from(w), Buffer.from([0])]));
}

test('the raw command line gives the user arguments, whatever node flags come first', () => {
  const raw = cmdline('node', '--no-warnings', 'bin/etcdctl', 'put', hex('fffe'), '', 'é');
  const argv = ['/usr/bin/node', '/repo/bin/etcdctl', 'put', '\ufffd\ufffd', '', 'é'];
  const args = argsFromCmdline(raw, argv)!;
  assert.deepEqual(args.map(byteStringBytes), [Buffer.from('put'), hex('fffe'), Buffer.alloc(0), Buffer.from('é')]);
  assert.deepEqual(argsFromCmdline(cmdline('node', 'bin/etcdctl'), ['/usr/bin/node', '/repo/bin/etcdctl']), []);
});

test('a command line that does not match process.argv is not used', () => {
  const argv = ['/usr/bin/node', '/repo/bin/etcdctl', 'get', '\ufffd'];
  // A word that decodes to something else (the process title was rewritten, say).
  assert.equal(argsFromCmdline(cmdline('node', 'bin/etcdctl', 'get', 'x'), argv), undefined);
  // Too few words for node, the script and the arguments.
  assert.equal(argsFromCmdline(cmdline('get', hex('ff')), argv), undefined);
  // The last word lacks its NUL.
  assert.equal(argsFromCmdline(Buffer.concat([cmdline('node', 'bin/etcdctl', 'get'), hex('ff')]), argv), undefined);
  assert.deepEqual(cmdlineWords(Buffer.from('a\0b')), []);
  // Then, and without /proc, process.argv's text is what there is.
  assert.deepEqual(processArgs(argv, () => cmdline('node', 'bin/etcdctl', 'get', 'x')), ['get', '\ufffd']);
  assert.deepEqual(
    processArgs(argv, () => {
      throw new Error('ENOENT');
    }),
    ['get', '\ufffd'],
  );
  assert.deepEqual(processArgs(argv, () => cmdline('node', 'bin/etcdctl', 'get', hex('ff'))).map(byteStringBytes), [Buffer.from('get'), hex('ff')]);
});

test('environment values are raw bytes where /proc/self/environ agrees with process.env', () => {
  const environ = cmdline(bytes('ETCDCTL_WATCH_KEY=w', hex('ff')), 'PLAIN=x=y', bytes('CHANGED=', hex('fe')), 'NOEQUALS');
  const env = { ETCDCTL_WATCH_KEY: 'w\ufffd', PLAIN: 'x=y', CHANGED: 'set later', LATE: 'only in process.env' };
  const got = envFromEnviron(environ, env);
  assert.deepEqual(byteStringBytes(got.ETCDCTL_WATCH_KEY!), bytes('w', hex('ff')));
  assert.deepEqual({ PLAIN: got.PLAIN, CHANGED: got.CHANGED, LATE: got.LATE }, { PLAIN: 'x=y', CHANGED: 'set later', LATE: 'only in process.env' });
  assert.deepEqual(
    processEnv(env, () => {
      throw new Error('ENOENT');
    }),
    env,
  );
});

const line = (...parts: (string | Buffer)[]): string => byteStringOf(Buffer.concat(parts.map((p) => Buffer.from(p))));
const bytesOf = (words: string[]): string[] => words.map((w) => byteStringBytes(w).toString('hex'));

test('argify keeps bare words raw and unquotes double-quoted words with Go escapes', () => {
  assert.deepEqual(bytesOf(argify(line('put ', hex('fcfd'), ' raw', hex('f0')))), ['707574', 'fcfd', '726177f0']);
  assert.deepEqual(bytesOf(argify(line('put "\\xfa" "a\\373b" "\\u00e9\\a\\v\\""'))), ['707574', 'fa', '61fb62', 'c3a9070b22']);
  // Inside quotes Go's scanner reads runes: a raw invalid byte is U+FFFD.
  assert.deepEqual(bytesOf(argify(line('put "q', hex('f1'), '" x'))), ['707574', '71efbfbd', '78']);
  // A bad escape ends the command as Sscanf's error.
  assert.throws(() => argify('put "a\\q" b'), (e: unknown) => e instanceof CtlError && e.message === 'invalid syntax' && e.exitCode === 3);
  // Go's \s is ASCII: a vertical tab is part of a word.
  assert.deepEqual(argify('a\vb c'), ['a\vb', 'c']);
});

test("argify cuts a single-quoted word to [1, words-1), and panics as Go does past its end", () => {
  assert.deepEqual(argify("put q3 'a b'"), ['put', 'q3', 'a']);
  assert.deepEqual(argify("put 'ab'"), ['put', '']);
  assert.throws(() => argify("put a b c ''"), (e: unknown) => e instanceof GoPanic && e.message === 'runtime error: slice bounds out of range [:4] with length 2');
});

test('txn compares and requests carry the bytes of the line', () => {
  const cmp = parseCompare(line('value("\\xff\\xfe") = "\\x81w"'));
  assert.deepEqual(Buffer.from(cmp.key), hex('fffe'));
  assert.deepEqual(Buffer.from(cmp.value!), hex('8177'));
  assert.deepEqual(Buffer.from(parseCompare(line('value("', hex('f3'), '") = "1"')).key), Buffer.from('\ufffd'));
  assert.throws(
    () => parseCompare(line('value("\\xff") = x')),
    (e: unknown) => e instanceof Error && byteStringBytes(e.message).equals(Buffer.from('malformed comparison: value("\\xff") = x; got value("\\xff") = ""')),
  );
  const put = parseRequestOp(line('put ', hex('fcfd'), ' "a\\xfbb"')).requestPut!;
  assert.deepEqual([Buffer.from(put.key), Buffer.from(put.value)], [hex('fcfd'), hex('61fb62')]);
  const get = parseRequestOp(line('get a', hex('ff'), ' --prefix')).requestRange!;
  assert.deepEqual([Buffer.from(get.key), Buffer.from(get.rangeEnd)], [hex('61ff'), Buffer.from('b')]);
});

test("Go's %q, %#q, rune %q and JSON strings of byte strings, as etcdctl 3.4.23 prints them", () => {
  // Each pair was printed by etcdctl 3.4.23 (-w fields of a key holding these bytes).
  const quoted: [string, string][] = [
    ['c2a0', '"\\u00a0"'], ['e2808b', '"\\u200b"'], ['f09f9880', '"😀"'], ['ee8080', '"\\ue000"'], ['c285', '"\\u0085"'],
    ['efbfbd', '"\ufffd"'], ['f48fbfbf', '"\\U0010ffff"'], ['7f011b', '"\\x7f\\x01\\x1b"'], ['cd81', '"\u0341"'], ['e38080', '"\\u3000"'],
    ['d880', '"\\u0600"'], ['f3a08081', '"\\U000e0001"'], ['e280a8', '"\\u2028"'], ['ff fe', '"\\xff\\xfe"'], ['f09f98', '"\\xf0\\x9f\\x98"'],
  ];
  for (const [h, q] of quoted) assert.equal(goQuote(hex(h)), q, h);
  assert.equal(goQuote(Buffer.from('a\x07\b\f\n\r\t\v"\\')), '"a\\a\\b\\f\\n\\r\\t\\v\\"\\\\"');
  assert.deepEqual([0xff, 0xc3, 0x01, 0x27, 0x22, 0x85].map(goQuoteRune), ["'ÿ'", "'Ã'", "'\\x01'", "'\\''", `'"'`, "'\\u0085'"]);
  assert.equal(goBackquoteText('a b'), '`a b`');
  assert.equal(goBackquoteText(byteStringOf(hex('ff'))), '"\\xff"');
  assert.equal(goBackquoteText('t`x'), '"t`x"');
  assert.equal(goJsonString(byteStringOf(bytes('r', hex('ff'), '<&>', hex('01'), '\u2028\ufffd"\\\b'))), '"r\\ufffd\\u003c\\u0026\\u003e\\u0001\\u2028\ufffd\\"\\\\\\u0008"');
});
