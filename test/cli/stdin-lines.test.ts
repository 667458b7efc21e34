// Both stdin readers (blocking for txn, event-loop for watch -i) cut lines as Go's
// ReadString('\n') does: "\n" kept, lines split across reads joined, bytes after the
// last "\n" dropped at the end of input, invalid UTF-8 kept as bytes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { byteStringBytes } from '../../src/pkg/byte-string.js';
import { fdLines } from '../../src/cli/etcdctl/stdin.js';
import { asyncStdinLines } from '../../src/cli/etcdctl/stdin-async.js';

const CHUNKS = [Buffer.from('put a 1\nput b'), Buffer.from(' 2\n\n'), Buffer.from([0xff, 0x0a]), Buffer.from('no newline')];
const WANT = [Buffer.from('put a 1\n'), Buffer.from('put b 2\n'), Buffer.from('\n'), Buffer.from([0xff, 0x0a])];

test('event-loop stdin lines: joined across chunks, "\\n" kept, a last partial line dropped, bytes kept', async () => {
  const got: Buffer[] = [];
  for await (const line of asyncStdinLines(Readable.from(CHUNKS))) got.push(byteStringBytes(line));
  assert.deepEqual(got, WANT);
});

test('blocking stdin lines from a descriptor: the same lines', () => {
  const path = join(tmpdir(), `stdin-lines-${process.pid}`);
  writeFileSync(path, Buffer.concat(CHUNKS));
  const fd = openSync(path, 'r');
  try {
    assert.deepEqual([...fdLines(fd)].map(byteStringBytes), WANT);
  } finally {
    closeSync(fd);
    rmSync(path);
  }
});
