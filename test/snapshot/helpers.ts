// Running etcdutl (ours) and both etcdctls on snapshot files, and reading what a
// restored data dir's WAL says about its member and cluster.

import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, type CtlResult } from '../helpers/processes.js';
import { WAL } from '../../src/wal/wal.js';
import { decodeWalMetadata } from '../../src/embed/wal-metadata.js';

export const OUR_ETCDUTL = join(REPO_ROOT, 'bin', 'etcdutl');

export function etcdutl(args: string[]): CtlResult {
  const r = spawnSync(process.execPath, [OUR_ETCDUTL, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** A saved snapshot's body and trailer, and whether the trailer is the body's SHA-256. */
export function trailerMatches(path: string): boolean {
  const b = readFileSync(path);
  return createHash('sha256').update(b.subarray(0, b.length - 32)).digest().equals(b.subarray(b.length - 32));
}

/** The member and cluster ids an etcd-ts WAL was created for. */
export async function walIds(walDir: string): Promise<{ memberId: string; clusterId: string }> {
  const wal = await WAL.open(walDir);
  try {
    const ids = decodeWalMetadata((await wal.readAll()).metadata);
    return { memberId: ids.memberId.toString(16), clusterId: ids.clusterId.toString(16) };
  } finally {
    await wal.close();
  }
}

/** zap JSON lines from a restore's stderr. */
export function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** What differs run to run in snapshot logs: times, durations, ports and paths given. */
export function normalizeSnapshotLog(text: string, replacements: [string, string][] = []): string {
  let s = text
    .replace(/"ts":(\d+\.\d+|"[^"]*")/g, '"ts":<ts>')
    .replace(/"took":[\d.e-]+/g, '"took":<took>')
    .replace(/"size":"[^"]*"/g, '"size":<size>');
  for (const [from, to] of replacements) s = s.split(from).join(to);
  return s;
}

/** A POST on a new connection (a pooled one may be closed by the server's keep-alive timeout). */
export function postFresh(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
