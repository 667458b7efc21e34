// Asking for a password the way etcdctl 3.4 does (the speakeasy package): the prompt on
// stdout, terminal echo switched off with `stty -echo` around the read, the line read
// from stdin, and a newline on stdout after it. Off a terminal stty fails and says so on
// stderr, twice per question; etcdctl shows those lines, so they are reproduced.

import { spawnSync } from 'node:child_process';
import { isatty } from 'node:tty';
import { fdLines } from './stdin.js';
import type { Session } from './session.js';

const STTY_NOT_A_TTY = "stty: 'standard input': Inappropriate ioctl for device";

/** One reader per process: a second reader would lose what the first buffered. */
let lines: Iterator<string> | undefined;

function readLine(): string {
  lines ??= fdLines(0);
  const next = lines.next();
  return next.done ? '' : next.value.replace(/\r?\n$/, '');
}

function stty(s: Session, arg: string): void {
  if (isatty(0)) spawnSync('stty', [arg], { stdio: 'inherit' });
  else s.err.line(STTY_NOT_A_TTY);
}

export function askPassword(s: Session, prompt: string): string {
  s.prompt(prompt);
  stty(s, '-echo');
  const line = readLine();
  stty(s, 'echo');
  s.prompt('\n');
  return line;
}

/** Go's fmt.Scanf("%s"): the first whitespace-separated word of stdin ('' at EOF). */
export function scanWord(): string {
  for (;;) {
    lines ??= fdLines(0);
    const next = lines.next();
    if (next.done) return '';
    const word = next.value.trim().split(/\s+/)[0] ?? '';
    if (word !== '') return word;
    return '';
  }
}
