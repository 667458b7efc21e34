// Runs the scripted raft interaction tests in test/raft/testdata/*.txt.
//
// A script is a sequence of blocks:
//   # comments and blank lines between blocks are kept as they are
//   <command line>
//   ----
//   <expected output, no blank lines>
//   <blank line>
// Each file gets a fresh InteractionEnv (see interaction/env.ts for the commands).
// With REWRITE=1 the expected outputs are replaced by the actual ones (review the diff).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InteractionEnv } from './interaction/env.js';

const TESTDATA = resolve(import.meta.dirname, '..', '..', '..', 'test', 'raft', 'testdata');
const REWRITE = process.env['REWRITE'] === '1';

interface Block {
  /** Comment and blank lines before the command. */
  preamble: string[];
  command: string;
  /** 1-based line number of the command. */
  line: number;
  expected: string;
}

export function parseScript(text: string): { blocks: Block[]; trailer: string[] } {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  let preamble: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.trim() === '' || l.startsWith('#')) {
      preamble.push(l);
      i++;
      continue;
    }
    const command = l;
    const line = i + 1;
    i++;
    if (lines[i] !== '----') throw new Error(`line ${i + 1}: expected ---- after command "${command}"`);
    i++;
    const out: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') out.push(lines[i++]!);
    blocks.push({ preamble, command, line, expected: out.join('\n') });
    preamble = [];
  }
  return { blocks, trailer: preamble };
}

const files = readdirSync(TESTDATA)
  .filter((f) => f.endsWith('.txt'))
  .sort();

for (const file of files) {
  test(`interaction: ${file}`, () => {
    const path = join(TESTDATA, file);
    const { blocks, trailer } = parseScript(readFileSync(path, 'utf8'));
    const env = new InteractionEnv();
    const rewritten: string[] = [];
    for (const b of blocks) {
      const actual = env.run(b.command);
      if (REWRITE) {
        rewritten.push(...b.preamble, b.command, '----', actual);
      } else {
        assert.equal(actual, b.expected, `${file}:${b.line}: ${b.command}`);
      }
    }
    if (REWRITE) {
      const tail = trailer.length > 0 && trailer[trailer.length - 1] === '' ? trailer : [...trailer, ''];
      writeFileSync(path, [...rewritten, ...tail].join('\n'));
    }
  });
}
