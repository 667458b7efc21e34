// The command-line arguments as the bytes the kernel holds, so that `etcdctl put
// $'\xff' v` stores 0xff as Go's etcdctl does (and `etcd --snapshot-count=$'\xff'`
// quotes it as "\xff"), where process.argv has already turned it into U+FFFD. Linux exposes the raw words in /proc/self/cmdline, NUL-separated.
//
// That file also holds node's own words (its path, its flags, the script), and nothing
// there says where they end, so the user's arguments are taken as the last ones and
// checked against process.argv: same count, and each word decoding to the very string
// node made of it. Anything unexpected (no /proc, a rewritten process title, a word
// that does not match) falls back to process.argv, which is right for valid UTF-8.

import { readFileSync } from 'node:fs';
import { byteStringOf } from './byte-string.js';

/** The words of a NUL-separated command line (each word ends with a NUL). */
export function cmdlineWords(cmdline: Buffer): Buffer[] {
  const words: Buffer[] = [];
  let start = 0;
  for (let nul = cmdline.indexOf(0); nul >= 0; nul = cmdline.indexOf(0, start)) {
    words.push(cmdline.subarray(start, nul));
    start = nul + 1;
  }
  // A last word without its NUL: the process rewrote its command line; trust none of it.
  if (start !== cmdline.length) return [];
  return words;
}

/**
 * The user's arguments (process.argv after node and the script) as byte strings, or
 * undefined when `cmdline` cannot be matched against `argv` with certainty.
 */
export function argsFromCmdline(cmdline: Buffer, argv: readonly string[]): string[] | undefined {
  const userArgs = argv.slice(2);
  const words = cmdlineWords(cmdline);
  // Node itself and the script come first, so there are at least two more words.
  if (words.length < userArgs.length + 2) return undefined;
  const raw = words.slice(words.length - userArgs.length);
  for (let i = 0; i < raw.length; i++) {
    if (raw[i]!.toString('utf8') !== userArgs[i]) return undefined;
  }
  return raw.map(byteStringOf);
}

/** This process's arguments as byte strings; process.argv's when the raw bytes cannot be had. */
export function processArgs(argv: readonly string[] = process.argv, readCmdline: () => Buffer = () => readFileSync('/proc/self/cmdline')): string[] {
  let cmdline: Buffer;
  try {
    cmdline = readCmdline();
  } catch {
    return argv.slice(2);
  }
  return argsFromCmdline(cmdline, argv) ?? argv.slice(2);
}
